/**
 * A project on disk as a FileMap of its TypeScript sources, for snapshots of projects that are not
 * workspaces (`evolve snapshot --target DIR`). Dependencies, build output and VCS folders are skipped.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const SKIP = new Set(["node_modules", ".git", "dist", "build", "coverage", "snapshots", "out"]);
/** Larger files are generated code, not something a model should read. */
const MAX_FILE_BYTES = 256 * 1024;

export function readTypeScriptProject(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (SKIP.has(name) || name.startsWith(".")) continue;
      const full = path.join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (/\.(m|c)?tsx?$/.test(name) && !name.endsWith(".d.ts") && st.size <= MAX_FILE_BYTES) {
        files.set(path.relative(root, full).split(path.sep).join("/"), readFileSync(full, "utf8"));
      }
    }
  };
  walk(root);
  return files;
}
