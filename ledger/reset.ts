/**
 * Move a branch to another commit (`git reset --hard`), never losing anything: the old tip, and
 * on request the uncommitted work, are saved under `refs/evolve/backups/` first. isomorphic-git
 * writes no reflog, so these refs are the only way back.
 */
import { promises as fsp } from "node:fs";
import { dirname, join } from "node:path";
import git from "isomorphic-git";
import { EvolveError } from "../kernel/errors.js";
import { fs, gitCache, gitdirOf, hashObject, makeObject, updateRef, writeObjects, type GitObject } from "./fs.js";
import { checkRefName, commitObject, formatIdentity, type Identity } from "./objects.js";
import { headBranch, readRef, resolveRef } from "./read-tree.js";
import { commitBlobs, dirtyPaths, trackedBlobs, workBlobOid } from "./worktree.js";
import { diffTrees, isTree, lookupPath, readCommitTree, readTreeEntries, serializeTree, type TreeEntry } from "./tree-hash.js";

/** Where backups live: `refs/evolve/backups/<branch>/<UTC timestamp>[-worktree]`. */
export const BACKUP_PREFIX = "refs/evolve/backups/";

/** What resetBranch did. */
export interface ResetResult {
  /** The branch tip before the reset. */
  readonly from: string;
  /** The commit the branch points to now. */
  readonly to: string;
  /** Full name of the ref that keeps `from`. */
  readonly backupRef: string;
  /** Full name of the ref that keeps the discarded uncommitted work (only with force and a dirty work tree). */
  readonly worktreeBackupRef?: string;
}

/** How to reset. */
export interface ResetOptions {
  /** Short branch name, e.g. `main`. */
  readonly branch: string;
  /** Where to move it: a tag, branch or commit id (annotated tags are peeled). */
  readonly target: string;
  /** Discard uncommitted work, after saving it in a backup commit. */
  readonly force?: boolean;
  /** Author and committer of the work-tree backup commit (default `evolve <evolve@localhost>`, now). */
  readonly author?: Identity;
}

/**
 * Move `branch` to `target` after saving the current tip under `refs/evolve/backups/<branch>/<UTC
 * timestamp>`. If the branch is checked out, the work tree and index follow the new tip, like
 * `git reset --hard`. A dirty work tree (tracked files modified, staged or deleted, or untracked
 * files the new tip would overwrite) is refused, naming the files, unless `force`: then it is
 * first saved as a commit (parent = old tip, tree = the work tree's version of those files) under
 * `<backup>-worktree`. Every commit reachable before stays reachable from some ref.
 *
 * Order of writes: backups, then the branch ref (checked against the old tip under a lock), then
 * the work tree. Killed in between, the backups exist and nothing is lost; re-running the reset
 * (with force, since the work tree then lags) finishes it.
 */
export async function resetBranch(dir: string, options: ResetOptions): Promise<ResetResult> {
  const { branch, force = false } = options;
  checkRefName(branch, "resetBranch: branch");
  const gitdir = await gitdirOf(dir);
  const branchRef = `refs/heads/${branch}`;
  const from = await readRef(dir, branchRef);
  if (from === undefined) throw new EvolveError("ref-not-found", `resetBranch: ${dir}: branch ${branch} does not exist`, { ref: branch, reason: "no such branch", dir });
  const to = await resolveRef(dir, options.target);
  const checkedOut = (await headBranch(dir)) === branch;

  const dirt = checkedOut ? await worktreeDirt(dir, to) : new Map<string, Snapshot | null>();
  if (dirt.size > 0 && !force) {
    const paths = [...dirt.keys()];
    throw new EvolveError(
      "dirty-worktree",
      `resetBranch: ${dir} has uncommitted changes in ${paths.join(", ")}; commit or discard them, or pass force to save them under ${BACKUP_PREFIX}${branch}/ first`,
      { dir, paths, branch, backupPrefix: `${BACKUP_PREFIX}${branch}/` },
    );
  }

  const backupRef = await freeBackupName(dir, branch);
  let worktreeBackupRef: string | undefined;
  if (dirt.size > 0) {
    const { tree: tipTree } = await readCommitTree(dir, from);
    const built = await snapshotTree(dir, tipTree, dirt);
    const identity = formatIdentity(options.author);
    const message = `evolve: uncommitted work on ${branch}, saved before reset to ${to}\n\nFiles: ${[...dirt.keys()].join(", ")}`;
    const commit = commitObject(built.tree, [from], identity, message);
    await writeObjects(gitdir, [...built.objects, commit]);
    worktreeBackupRef = `${backupRef}-worktree`;
    const ref = worktreeBackupRef;
    await updateRef(gitdir, ref, commit.oid, null, () => readRef(dir, ref));
  }
  await updateRef(gitdir, backupRef, from, null, () => readRef(dir, backupRef));
  await updateRef(gitdir, branchRef, to, from, () => readRef(dir, branchRef));
  if (checkedOut) {
    await git.checkout({ fs, dir, ref: branch, force: true, cache: gitCache });
    await pruneEmptyDirs(dir, [...(await removedPaths(dir, from, to)), ...dirt.keys()]);
  }
  return { from, to, backupRef, ...(worktreeBackupRef === undefined ? {} : { worktreeBackupRef }) };
}

/** Every backup ref with the commit it keeps, sorted by name (per branch, oldest first). */
export async function listBackups(dir: string): Promise<Array<{ ref: string; commit: string }>> {
  const names = await git.listRefs({ fs, dir, filepath: BACKUP_PREFIX.slice(0, -1) });
  const out: Array<{ ref: string; commit: string }> = [];
  for (const name of names.sort()) {
    const ref = `${BACKUP_PREFIX}${name}`;
    const commit = await readRef(dir, ref);
    if (commit !== undefined) out.push({ ref, commit });
  }
  return out;
}

/** A file as found in the work tree: its blob, ready to be written, and its tree mode. */
interface Snapshot {
  readonly mode: string;
  readonly blob: GitObject;
}

/**
 * What a hard reset to `to` would throw away: tracked paths that differ from HEAD (in the work
 * tree or the index), with their work-tree content (null = deleted), plus untracked files whose
 * path `to` would overwrite with different content. Sorted by path.
 */
async function worktreeDirt(dir: string, to: string): Promise<Map<string, Snapshot | null>> {
  // Read-only (no statusMatrix: it rewrites the index's stat cache), so a refused reset changes no byte.
  const paths = await dirtyPaths(dir);
  const { head, staged } = await trackedBlobs(dir);
  for (const [path, oid] of await commitBlobs(dir, to)) {
    if (head.has(path) || staged.has(path)) continue;
    const present = await workBlobOid(join(dir, path));
    if (present !== undefined && present !== oid) paths.push(path);
  }
  const out = new Map<string, Snapshot | null>();
  for (const path of paths.sort()) out.set(path, await snapshot(dir, path));
  return out;
}

async function snapshot(dir: string, path: string): Promise<Snapshot | null> {
  const full = join(dir, path);
  const stat = await fsp.lstat(full).catch(() => null);
  if (stat === null || stat.isDirectory()) return null;
  if (stat.isSymbolicLink()) {
    return { mode: "120000", blob: makeObject("blob", Buffer.from(await fsp.readlink(full), "utf8")) };
  }
  return { mode: stat.mode & 0o111 ? "100755" : "100644", blob: makeObject("blob", await fsp.readFile(full)) };
}

/**
 * `base` with `files` replaced (null = removed), as new objects. Unlike buildTree this takes raw
 * blobs and modes, so binary files, symlinks and executable bits are saved exactly.
 */
async function snapshotTree(dir: string, base: string, files: ReadonlyMap<string, Snapshot | null>): Promise<{ tree: string; objects: GitObject[] }> {
  const objects = new Map<string, GitObject>();
  for (const file of files.values()) if (file !== null) objects.set(file.blob.oid, file.blob);
  const tree = await snapshotLevel(dir, base, [...files], objects);
  if (tree !== null) return { tree, objects: [...objects.values()] };
  // Every file deleted: the root is the empty tree, which must be stored to be read back.
  const empty = makeObject("tree", Buffer.alloc(0));
  return { tree: empty.oid, objects: [...objects.values(), empty] };
}

async function snapshotLevel(
  dir: string,
  base: string | null,
  files: ReadonlyArray<readonly [string, Snapshot | null]>,
  objects: Map<string, GitObject>,
): Promise<string | null> {
  const entries = new Map<string, TreeEntry>();
  if (base !== null) for (const entry of await readTreeEntries(dir, base)) entries.set(entry.name, entry);
  const here: Array<[string, Snapshot | null]> = [];
  const below = new Map<string, Array<[string, Snapshot | null]>>();
  for (const [path, file] of files) {
    const slash = path.indexOf("/");
    if (slash < 0) {
      here.push([path, file]);
      continue;
    }
    const name = path.slice(0, slash);
    const group = below.get(name) ?? [];
    group.push([path.slice(slash + 1), file]);
    below.set(name, group);
  }
  // Directories first, then files: a work tree that swapped file `x` for directory `x/` (or the
  // reverse) lists the old side as deleted, so either order of the two changes ends consistent.
  for (const [name, group] of below) {
    const entry = entries.get(name);
    const sub = await snapshotLevel(dir, entry !== undefined && isTree(entry) ? entry.oid : null, group, objects);
    if (sub !== null) entries.set(name, { mode: "40000", name, oid: sub });
    else if (entry !== undefined && isTree(entry)) entries.delete(name);
  }
  for (const [name, file] of here) {
    const entry = entries.get(name);
    if (file !== null) entries.set(name, { mode: file.mode, name, oid: file.blob.oid });
    else if (entry !== undefined && !isTree(entry)) entries.delete(name);
  }
  if (entries.size === 0) return null;
  const content = serializeTree([...entries.values()]);
  const oid = hashObject("tree", content);
  if (oid !== base) objects.set(oid, { type: "tree", oid, content });
  return oid;
}

/** Paths of `from`'s tree that `to`'s tree lacks. */
async function removedPaths(dir: string, from: string, to: string): Promise<string[]> {
  const [{ tree: a }, { tree: b }] = await Promise.all([readCommitTree(dir, from), readCommitTree(dir, to)]);
  return (await diffTrees(dir, a, b)).filter((c) => c.after === null).map((c) => c.path);
}

/**
 * isomorphic-git's checkout deletes files but leaves their directories behind, empty; git
 * removes a directory that a deletion empties, so do that for the parents of `paths`.
 */
async function pruneEmptyDirs(dir: string, paths: readonly string[]): Promise<void> {
  const parents = new Set(paths.map((p) => dirname(p)));
  // Deepest first, so a parent is tried after its emptied children.
  for (const start of [...parents].sort((x, y) => y.length - x.length)) {
    for (let at = start; at !== "." && at !== ""; at = dirname(at)) {
      const removed = await fsp.rmdir(join(dir, at)).then(() => true, () => false);
      if (!removed) break;
    }
  }
}

/** `refs/evolve/backups/<branch>/<UTC time to the millisecond>`, with `-N` added if that name (or its `-worktree`) is taken. */
async function freeBackupName(dir: string, branch: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/:/g, "-");
  for (let n = 0; ; n++) {
    const ref = `${BACKUP_PREFIX}${branch}/${stamp}${n === 0 ? "" : `-${n}`}`;
    const taken = (await readRef(dir, ref)) !== undefined || (await readRef(dir, `${ref}-worktree`)) !== undefined;
    if (!taken) return ref;
  }
}
