/**
 * A workspace is a git repository whose root holds `evolve.config.yaml`. Opening one reads a commit's
 * whole tree into memory and loads its config and golden suite from that tree, so what is judged is
 * exactly what is committed, never a half-edited work tree.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { FileMap } from "../kernel/files.js";
import picomatch from "picomatch";
import { isEvolvable, parseConfig } from "./config.js";
import type { EvolveConfig } from "./config.js";
import { loadSuite, prepareCustomAssertions } from "../golden-tests/index.js";
import type { GoldenSuite } from "../golden-tests/index.js";
import { readCommitFiles } from "../ledger/index.js";
import { CONFIG_FILE, WorkspaceError } from "./root.js";
import { EvolveError } from "../kernel/errors.js";

// Where a workspace is, apart from what it holds, so commands that only read history load little.
export { CONFIG_FILE, findWorkspaceRoot, WorkspaceError } from "./root.js";

export interface Workspace {
  root: string;
  commit: string;
  tree: string;
  files: FileMap;
  config: EvolveConfig;
  suite: GoldenSuite;
}

/**
 * Read commit `ref` of the workspace at `root` with its config and golden suite. Refuses with
 * EvolveError: `not-a-workspace` (no repository), `ref-not-found`, `workspace` (no config committed
 * at `ref`), `input-file` (a malformed config, golden case or custom assertion, at its line).
 */
export async function openWorkspace(root: string, ref = "HEAD"): Promise<Workspace> {
  if (!existsSync(path.join(root, ".git"))) {
    throw new WorkspaceError(`${root} is not a git repository (run \`evolve init ${root}\` to make a workspace)`, "not-a-workspace", { dir: root });
  }
  const { commit, tree, files, symlinks } = await readCommitFiles(root, ref);
  const configText = files.get(CONFIG_FILE);
  if (configText === undefined) throw new WorkspaceError(`${root}: ${CONFIG_FILE} is not committed at ${ref}`, "workspace", { dir: root, ref, file: CONFIG_FILE });
  const config = parseConfig(configText, CONFIG_FILE);
  refuseEvolvableSymlinks(root, ref, config, symlinks);
  const suite = loadSuite(files, "golden-tests", { maxCaseTimeoutMs: config.sandbox.maxCaseTimeoutMs });
  // Import custom assertions now, so a syntax error in one is reported with its line before any run.
  await prepareCustomAssertions(suite);
  return { root, commit, tree, files, config, suite };
}

/**
 * A symlink where evolution reads tools or makes edits would be read as its target's path text (the
 * tools in it silently missing) and could be replaced by a regular file: refused, never followed.
 */
function refuseEvolvableSymlinks(root: string, ref: string, config: EvolveConfig, symlinks: readonly string[]): void {
  const isTool = picomatch([...config.sandbox.tools], { dot: false });
  const bad = symlinks.filter((p) => isEvolvable(config, p) || isTool(p));
  if (bad.length === 0) return;
  throw new EvolveError(
    "unsupported-content",
    `${root}: ${bad.join(", ")} ${bad.length === 1 ? "is a symbolic link" : "are symbolic links"} at ${ref} in an evolvable or tool path; evolve never follows links: commit the file itself there, or move the link out of evolvable and sandbox.tools`,
    { dir: root, ref, paths: bad },
  );
}
