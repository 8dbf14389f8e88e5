import { existsSync } from "node:fs";
import path from "node:path";
import { findWorkspaceRoot, WorkspaceError } from "../../workspace/root.js";

/** The workspace a read-only command works on: --workspace, or the one around the current directory. */
export function workspaceFromFlag(flag: string | undefined): string {
  const start = flag ?? process.cwd();
  // A mistyped --workspace must not silently fall back to a workspace around it.
  if (flag !== undefined && !existsSync(flag)) {
    throw new WorkspaceError(`--workspace ${path.resolve(flag)}: no such directory`, "not-a-workspace", { dir: path.resolve(flag) });
  }
  const root = findWorkspaceRoot(start);
  if (root === null) {
    throw new WorkspaceError(`${path.resolve(start)} is not inside a workspace (a git repository root with evolve.config.yaml); pass --workspace DIR, or make one: \`evolve init --here\` in an existing repository or folder, \`evolve init DIR\` for a new one`, "not-a-workspace", {
      dir: path.resolve(start),
    });
  }
  return root;
}
