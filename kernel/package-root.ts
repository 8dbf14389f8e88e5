/**
 * The folder of evolve's own package.json. Bundled examples and the sandbox's compiled worker are
 * found relative to it, which works both from dist/ (the CLI) and from the .ts sources (vitest).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | null = null;

export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("evolve: cannot find its own package.json");
    dir = up;
  }
  cached = dir;
  return dir;
}
