/**
 * `evolve init` in a folder that already holds files (`evolve init .`, `evolve init --here`): the
 * enclosing git repository (or the folder, made one) becomes the workspace. evolve adds its config
 * and golden-tests/ beside the user's files, never changing one of them, and lists the TypeScript
 * modules it found as the evolvable tools. Generation 0 is a commit of the user's own history,
 * authored by the user.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { EvolveError } from "../kernel/errors.js";
import type { FileMap } from "../kernel/files.js";
import { commitChanges, commitFirstInPlace, DEFAULT_IDENTITY, formatMessage, headBranch, parseTrailers, readCommitFiles, readCommitInfo, readRef, repairWorktree, scanFolder, userIdentity, type FoundIdentity, type Identity } from "../ledger/index.js";
import { freeTagName } from "../ledger/generations.js";
import { TRAILER } from "../ledger/record.js";
import { CONFIG_FILE, WorkspaceError } from "./open.js";
import { detectToolModules, type ToolModule } from "./detect-tools.js";
import { adoptConfigText, SAMPLE_TOOL_PATH, sampleFiles } from "./adopt-files.js";

/** What `evolve init` did in an existing folder. */
export interface AdoptResult {
  /** The workspace: the enclosing repository's root (or the folder, made a repository). */
  root: string;
  /** The folder asked for, relative to root ("" when it is the root). */
  sub: string;
  commit: string;
  tag: string;
  /** Whose name is on the commit; null when no git identity was configured and evolve's own was used. */
  identity: FoundIdentity | null;
  author: Identity;
  /** Files evolve added (and committed). */
  added: string[];
  tools: readonly ToolModule[];
  /** TypeScript files passed over, with why. */
  skipped: ReadonlyArray<{ file: string; reason: string }>;
  /** Files of a folder without commits that were not committed (binary, executable, ...), "path: why". */
  left: readonly string[];
  /** True when this finished an `evolve init` that was killed after its commit. */
  finished: boolean;
}

/** The git repository root enclosing `dir`, or null. */
export function enclosingRepository(dir: string): string | null {
  for (let at = path.resolve(dir); ; ) {
    if (existsSync(path.join(at, ".git"))) return at;
    const up = path.dirname(at);
    if (up === at) return null;
    at = up;
  }
}

/** Make the folder `dir` (not empty) a workspace: see the module comment. */
export async function adoptFolder(dir: string, options: { bare?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<AdoptResult> {
  const target = path.resolve(dir);
  const root = enclosingRepository(target) ?? target;
  const sub = path.relative(root, target).split(path.sep).join("/");
  const head = existsSync(path.join(root, ".git")) ? await readRef(root, "HEAD") : undefined;
  const found = await userIdentity(root, options.env);
  const author = found?.identity ?? DEFAULT_IDENTITY;
  const base = { root, sub, identity: found, author };
  if (head !== undefined) {
    const finished = await finishedEarlier(root, head);
    if (finished) return { ...base, ...finished };
  }
  const existing = head === undefined ? await scanFolder(root) : { files: (await readCommitFiles(root, head)).files, left: [] };
  const detection = await detectToolModules(existing.files, sub);
  const added = addedFiles(path.basename(target), detection.tools, options.bare === true);
  refuseClobbering(root, existing.files, added);
  const message = formatMessage(
    "evolve: gen 0: evolve init in an existing project",
    `Generation 0: evolve's config and golden tests beside the project's own files.\nEvolvable tool modules: ${detection.tools.map((t) => t.file).join(", ") || "none found"}.`,
    [
      [TRAILER.generation, "0"],
      [TRAILER.action, "init"],
    ],
  );
  const tagMessage = "evolve generation 0: the project as evolve found it\n";
  let commit: string;
  let tag = "gen-0";
  if (head === undefined) {
    const rest = new Map([...existing.files].filter(([p]) => !added.has(p)));
    ({ commit } = await commitFirstInPlace(root, rest, added, { message, tagName: tag, tagMessage, author }));
  } else {
    const branch = await headBranch(root);
    if (branch === undefined) throw new EvolveError("detached-head", `${root}: HEAD is detached; check out a branch for evolve init to commit on`, { dir: root });
    tag = await freeTagName(root, "gen-0", head);
    const changes = new Map([...added].filter(([p, text]) => existing.files.get(p) !== text));
    ({ commit } = await commitChanges(root, { branch, parent: head, changes, message, tagName: tag, tagMessage, author }));
  }
  return { ...base, commit, tag, added: [...added.keys()], tools: detection.tools, skipped: detection.skipped, left: existing.left, finished: false };
}

/**
 * HEAD already holds a config. evolve's own generation-0 commit whose files a kill left unwritten
 * is finished (the files written); any other workspace is refused: there is nothing to add.
 */
async function finishedEarlier(root: string, head: string): Promise<Omit<AdoptResult, "root" | "sub" | "identity" | "author"> | null> {
  const files = (await readCommitFiles(root, head)).files;
  if (!files.has(CONFIG_FILE)) return null;
  const info = await readCommitInfo(root, head);
  const trailers = parseTrailers(info.message);
  const isInit = trailers.get(TRAILER.action) === "init" && trailers.get(TRAILER.generation) === "0";
  // evolve's own generation 0 with files still missing from the work tree: a killed init; write them.
  const report = isInit ? await repairWorktree(root) : null;
  if (report === null || report.repaired.length === 0) {
    throw new WorkspaceError(`${root} is already a workspace (${CONFIG_FILE} is committed at HEAD); nothing to initialise`, "workspace", { dir: root, file: CONFIG_FILE });
  }
  return { commit: head, tag: "gen-0", added: [...report.repaired], tools: [], skipped: [], left: [], finished: true };
}

/** evolve's files for an existing project: config, golden-tests/, and the sample tool unless bare. */
function addedFiles(agentName: string, tools: readonly ToolModule[], bare: boolean): FileMap {
  const all = [...tools, ...(bare ? [] : [{ file: SAMPLE_TOOL_PATH, exports: ["greet"] }])];
  return new Map([[CONFIG_FILE, adoptConfigText(agentName, all)], ...sampleFiles(bare)]);
}

/** Every file evolve adds must be absent, or already exactly what it would write (a rerun). */
function refuseClobbering(root: string, committed: FileMap, added: FileMap): void {
  const clash: string[] = [];
  for (const [p, text] of added) {
    const full = path.join(root, p);
    const inHead = committed.get(p);
    if (inHead !== undefined && inHead !== text) clash.push(p);
    else if (existsSync(full) && readFileSync(full, "utf8") !== text) clash.push(p);
  }
  if (clash.length > 0) {
    throw new WorkspaceError(`evolve init would overwrite ${clash.join(", ")} in ${root}; move ${clash.length === 1 ? "it" : "them"} away first (or use --bare to skip the sample tool)`, "workspace", { dir: root, paths: clash });
  }
}
