import git from "isomorphic-git";
import { errorMessage, EvolveError } from "../kernel/errors.js";
import { fs, gitCache, makeObject, type GitObject } from "./fs.js";

/** One entry of a git tree object, exactly as stored (mode kept verbatim, e.g. `40000`). */
export interface TreeEntry {
  readonly mode: string;
  readonly name: string;
  readonly oid: string;
}

/** The id of the empty tree, which every git knows without it being stored. */
export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

const TREE_MODE = "40000";
const FILE_MODE = "100644";
const EXEC_MODE = "100755";

/** Whether a tree entry is a subtree. */
export function isTree(entry: TreeEntry): boolean {
  return entry.mode === TREE_MODE || entry.mode === "040000";
}

// Trees are content-addressed and immutable, so a parsed tree is valid for every repository
// that holds it; the cache is global and only bounded.
const parsedTrees = new Map<string, readonly TreeEntry[]>();
const MAX_CACHED_TREES = 20_000;

/** The entries of tree `oid`, parsed from the raw object (cached). */
export async function readTreeEntries(dir: string, oid: string): Promise<readonly TreeEntry[]> {
  if (oid === EMPTY_TREE) return [];
  const cached = parsedTrees.get(oid);
  if (cached) return cached;
  const { type, object } = await git.readObject({ fs, dir, oid, format: "content", cache: gitCache });
  if (type !== "tree") throw new EvolveError("storage", `${dir}: object ${oid} is a ${type}, expected a tree`, { path: dir, object: oid });
  const entries = parseTree(Buffer.from(object as Uint8Array), oid);
  if (parsedTrees.size >= MAX_CACHED_TREES) parsedTrees.clear();
  parsedTrees.set(oid, entries);
  return entries;
}

function parseTree(raw: Buffer, oid: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < raw.length) {
    const space = raw.indexOf(0x20, at);
    const nul = raw.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 21 > raw.length) throw new EvolveError("storage", `tree ${oid}: malformed entry at byte ${at}`, { object: oid });
    entries.push({
      mode: raw.toString("latin1", at, space),
      name: raw.toString("utf8", space + 1, nul),
      oid: raw.toString("hex", nul + 1, nul + 21),
    });
    at = nul + 21;
  }
  return entries;
}

/** Serialise entries as a git tree object, in git's order (a subtree sorts as if named `name/`). */
export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const keyed = entries.map((entry) => ({
    entry,
    key: Buffer.from(isTree(entry) ? `${entry.name}/` : entry.name, "utf8"),
  }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  const parts: Buffer[] = [];
  for (const { entry } of keyed) {
    const mode = isTree(entry) ? TREE_MODE : entry.mode;
    parts.push(Buffer.from(`${mode} ${entry.name}\0`, "utf8"), Buffer.from(entry.oid, "hex"));
  }
  return Buffer.concat(parts);
}

/** Reject paths git would refuse or that could escape the work tree; `what` names the caller's input. */
export function checkPath(path: string, what: string): void {
  const bad = (why: string): never => {
    throw new Error(`${what}: path ${JSON.stringify(path)} ${why}`);
  };
  if (path === "") bad("is empty");
  if (path.startsWith("/")) bad("must be relative (starts with /)");
  if (path.includes("\\")) bad("must use / as separator");
  if (path.includes("\0")) bad("contains a NUL byte");
  for (const segment of path.split("/")) {
    if (segment === "") bad("has an empty segment");
    if (segment === "." || segment === "..") bad(`has a "${segment}" segment`);
    if (segment.toLowerCase() === ".git") bad("goes into .git");
  }
}

/** The result of applying changes to a tree: its id and every object that is new relative to the base. */
export interface BuiltTree {
  readonly tree: string;
  /** New blobs and trees (deduplicated); objects equal to ones of the base are not listed. */
  readonly objects: readonly GitObject[];
}

type Change = string | null;

/**
 * Apply `changes` (path -> text, or null = delete) to tree `base` (null = empty) in memory and
 * return the resulting tree id plus the objects that would have to be written. Only the trees
 * on a changed path are rebuilt; every other subtree keeps its id untouched.
 */
export async function buildTree(
  dir: string,
  base: string | null,
  changes: ReadonlyMap<string, Change>,
): Promise<BuiltTree> {
  for (const path of changes.keys()) checkPath(path, "changes");
  const objects = new Map<string, GitObject>();
  const tree = await applyLevel(dir, base, changes, "", objects);
  if (tree === null) {
    // An empty root is legal (the empty tree); git never stores empty subtrees.
    const empty = makeObject("tree", Buffer.alloc(0));
    objects.set(empty.oid, empty);
    return { tree: empty.oid, objects: [...objects.values()] };
  }
  return { tree, objects: [...objects.values()] };
}

async function applyLevel(
  dir: string,
  base: string | null,
  changes: ReadonlyMap<string, Change>,
  prefix: string,
  objects: Map<string, GitObject>,
): Promise<string | null> {
  const entries = new Map<string, TreeEntry>();
  if (base !== null) for (const entry of await readTreeEntries(dir, base)) entries.set(entry.name, entry);

  const files = new Map<string, Change>();
  const subdirs = new Map<string, Map<string, Change>>();
  for (const [path, change] of changes) {
    const slash = path.indexOf("/");
    if (slash < 0) {
      files.set(path, change);
    } else {
      const name = path.slice(0, slash);
      let group = subdirs.get(name);
      if (!group) subdirs.set(name, (group = new Map()));
      group.set(path.slice(slash + 1), change);
    }
  }

  // Deletions first, then directories, then additions: that order lets one change set turn a
  // file into a directory of the same name, or the other way round.
  for (const [name, change] of files) {
    if (change !== null) continue;
    const entry = entries.get(name);
    if (entry && isTree(entry)) throw new Error(`changes: cannot delete ${prefix}${name}: it is a directory`);
    entries.delete(name);
  }
  for (const [name, group] of subdirs) {
    const entry = entries.get(name);
    if (entry && !isTree(entry)) {
      throw new Error(`changes: ${prefix}${name} is a file but changes put paths below it`);
    }
    const oid = await applyLevel(dir, entry ? entry.oid : null, group, `${prefix}${name}/`, objects);
    if (oid === null) entries.delete(name);
    else entries.set(name, { mode: TREE_MODE, name, oid });
  }
  for (const [name, change] of files) {
    if (change === null) continue;
    const entry = entries.get(name);
    if (entry && isTree(entry)) throw new Error(`changes: cannot write file ${prefix}${name}: it is a directory`);
    const blob = makeObject("blob", Buffer.from(change, "utf8"));
    // Keep the executable bit of a file that has one; anything else (new, symlink) becomes a plain file.
    const mode = entry?.mode === EXEC_MODE ? EXEC_MODE : FILE_MODE;
    if (entry?.oid !== blob.oid) objects.set(blob.oid, blob);
    entries.set(name, { mode, name, oid: blob.oid });
  }

  if (entries.size === 0) return null;
  const object = makeObject("tree", serializeTree([...entries.values()]));
  if (object.oid !== base) objects.set(object.oid, object);
  return object.oid;
}

/**
 * The tree id git WOULD record for `baseCommit`'s tree with `changes` applied, computed in memory
 * (sha1 of the git objects) without writing anything. Equal to what commitChanges records.
 */
export async function candidateTreeOid(
  dir: string,
  baseCommit: string,
  changes: ReadonlyMap<string, string | null>,
): Promise<string> {
  const { tree } = await readCommitTree(dir, baseCommit);
  return (await buildTree(dir, tree, changes)).tree;
}

const commitTrees = new Map<string, string>();

/** The tree id of a commit (cached: commits are immutable). */
export async function readCommitTree(dir: string, commit: string): Promise<{ tree: string }> {
  const cached = commitTrees.get(commit);
  if (cached) return { tree: cached };
  const { commit: parsed } = await git.readCommit({ fs, dir, oid: commit, cache: gitCache }).catch((error: unknown) => {
    throw new EvolveError("storage", `${dir}: cannot read commit ${commit}: ${errorMessage(error)}`, { path: dir, object: commit }, { cause: error });
  });
  if (commitTrees.size >= MAX_CACHED_TREES) commitTrees.clear();
  commitTrees.set(commit, parsed.tree);
  return { tree: parsed.tree };
}

/** A path whose entry differs between two trees; `null` on the side where it is absent. */
export interface TreeChange {
  readonly path: string;
  readonly before: TreeEntry | null;
  readonly after: TreeEntry | null;
}

/** File-level differences between two trees (null = empty), sorted by path; equal subtrees are skipped unread. */
export async function diffTrees(dir: string, a: string | null, b: string | null): Promise<TreeChange[]> {
  const out: TreeChange[] = [];
  await diffLevel(dir, a, b, "", out);
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

async function diffLevel(dir: string, a: string | null, b: string | null, prefix: string, out: TreeChange[]): Promise<void> {
  if (a === b) return;
  const left = new Map((a ? await readTreeEntries(dir, a) : []).map((e) => [e.name, e]));
  const right = new Map((b ? await readTreeEntries(dir, b) : []).map((e) => [e.name, e]));
  for (const name of new Set([...left.keys(), ...right.keys()])) {
    const l = left.get(name);
    const r = right.get(name);
    if (l && r && l.oid === r.oid && l.mode === r.mode) continue;
    const lTree = l && isTree(l) ? l : undefined;
    const rTree = r && isTree(r) ? r : undefined;
    if (lTree || rTree) await diffLevel(dir, lTree?.oid ?? null, rTree?.oid ?? null, `${prefix}${name}/`, out);
    const lFile = l && !isTree(l) ? l : null;
    const rFile = r && !isTree(r) ? r : null;
    if (lFile || rFile) out.push({ path: `${prefix}${name}`, before: lFile, after: rFile });
  }
}

/** The entry at `path` in tree `tree`, or undefined if there is none. */
export async function lookupPath(dir: string, tree: string, path: string): Promise<TreeEntry | undefined> {
  let current: TreeEntry | undefined = { mode: TREE_MODE, name: "", oid: tree };
  for (const name of path.split("/")) {
    if (!current || !isTree(current)) return undefined;
    current = (await readTreeEntries(dir, current.oid)).find((entry) => entry.name === name);
  }
  return current;
}
