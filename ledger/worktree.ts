import { promises as fsp } from "node:fs";
import { dirname, join } from "node:path";
import git from "isomorphic-git";
import { clearLeftovers, fs, gitCache, gitdirOf, hashObject, replaceWorkFile } from "./fs.js";
import { diffTrees, readCommitTree, type TreeChange } from "./tree-hash.js";
import { resolveRef } from "./read-tree.js";

/**
 * Make the work tree and the index match a commit that differs from the checked-out one only in
 * `changes` (path -> text, null = deleted): write or delete those files, then stage exactly them,
 * so `git status` is clean for them afterwards. Nothing else is touched.
 */
export async function syncWorktree(dir: string, changes: ReadonlyMap<string, string | null>): Promise<void> {
  const gitdir = await gitdirOf(dir);
  const written: string[] = [];
  const removed: string[] = [];
  // Deletions first: a change set may replace directory `x/` by file `x`, or the reverse.
  for (const [path, text] of changes) {
    if (text !== null) continue;
    await fsp.rm(join(dir, path), { force: true });
    await pruneEmptyDirs(dir, dirname(path));
    removed.push(path);
  }
  for (const [path, text] of changes) {
    if (text === null) continue;
    const full = join(dir, path);
    await fsp.mkdir(dirname(full), { recursive: true });
    await replaceWorkFile(gitdir, full, text);
    written.push(path);
  }
  await stage(dir, written, removed);
}

async function stage(dir: string, written: readonly string[], removed: readonly string[]): Promise<void> {
  for (const filepath of removed) await git.remove({ fs, dir, filepath, cache: gitCache });
  // force: the paths are in the commit, so the index must track them even if .gitignore matches.
  if (written.length > 0) await git.add({ fs, dir, filepath: [...written], force: true, cache: gitCache });
}

// git removes directories a deletion leaves empty; so do we, up to (not including) the root.
async function pruneEmptyDirs(dir: string, relative: string): Promise<void> {
  for (let at = relative; at !== "." && at !== "" && at !== "/"; at = dirname(at)) {
    try {
      await fsp.rmdir(join(dir, at));
    } catch {
      return;
    }
  }
}

/**
 * Tracked files that are modified, staged or deleted relative to HEAD, sorted. Untracked and ignored
 * files are not dirt. Read-only: isomorphic-git's statusMatrix refreshes the stat cache in
 * `.git/index` as it goes, and a command that refuses because of dirt must change no byte, so the
 * index is only read and work files are hashed as blobs here.
 */
export async function dirtyPaths(dir: string): Promise<string[]> {
  const { head, staged } = await trackedBlobs(dir);
  const dirty: string[] = [];
  for (const path of new Set([...head.keys(), ...staged.keys()])) {
    const want = head.get(path);
    if (staged.get(path) !== want) {
      dirty.push(path);
      continue;
    }
    if ((await workBlobOid(join(dir, path))) !== want) dirty.push(path);
  }
  return dirty.sort();
}

/** path -> blob id of HEAD's files and of the index's entries, read without writing anything. */
export async function trackedBlobs(dir: string): Promise<{ head: Map<string, string>; staged: Map<string, string> }> {
  const head = await blobsOf(dir, git.TREE({ ref: "HEAD" })).catch((e: unknown) => {
    // No commit yet: everything staged is dirt.
    if (e instanceof git.Errors.NotFoundError) return new Map<string, string>();
    throw e;
  });
  return { head, staged: await blobsOf(dir, git.STAGE()) };
}

/** path -> blob id of every file a commit's tree holds. */
export function commitBlobs(dir: string, ref: string): Promise<Map<string, string>> {
  return blobsOf(dir, git.TREE({ ref }));
}

/** path -> blob id of every file a walker (a tree or the index) lists; neither walker writes. */
async function blobsOf(dir: string, walker: ReturnType<typeof git.TREE>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await git.walk({
    fs,
    dir,
    cache: gitCache,
    trees: [walker],
    map: async (path, [entry]) => {
      if (entry === null || entry === undefined) return null;
      const type = await entry.type();
      if (type === "blob") out.set(path, await entry.oid());
      return type === "commit" ? null : true;
    },
  });
  return out;
}

/** The blob id a work file would have (a symlink's is its target text), or undefined when it is missing. */
export async function workBlobOid(full: string): Promise<string | undefined> {
  try {
    const st = await fsp.lstat(full);
    const data = st.isSymbolicLink() ? Buffer.from(await fsp.readlink(full)) : st.isFile() ? await fsp.readFile(full) : undefined;
    return data === undefined ? undefined : (await git.hashBlob({ object: data })).oid;
  } catch {
    return undefined;
  }
}

/** What repairWorktree did. */
export interface RepairReport {
  /** Paths restored to HEAD's version (their content was still the parent's). */
  readonly repaired: readonly string[];
  /** Paths changed by HEAD whose work-tree content is neither HEAD's nor the parent's: the file is left alone. */
  readonly conflicts: readonly string[];
  /** Stale lock and temporary files removed from the git directory (see clearLeftovers). */
  readonly leftovers: readonly string[];
}

/**
 * Recover from a killed run; call it at startup, while no other process writes to the repository.
 * First clears stale ref locks and temporary files (see clearLeftovers). Then finishes a
 * work-tree update that the killed process left half done. commitChanges moves the branch
 * before it touches files, so after a crash HEAD is the new commit while some of the paths it
 * changed still hold the parent's content, or are written but not staged. For each path HEAD
 * changed relative to its first parent: parent's content (or absent, as in the parent) -> write
 * HEAD's; HEAD's content -> re-stage; anything else is someone's edit: the file is kept and
 * reported, and its index entry, if still the parent's, is set to HEAD's.
 */
export async function repairWorktree(dir: string): Promise<RepairReport> {
  const gitdir = await gitdirOf(dir);
  const leftovers = await clearLeftovers(gitdir);
  const head = await resolveRef(dir, "HEAD");
  const { commit } = await git.readCommit({ fs, dir, oid: head, cache: gitCache });
  const parent = commit.parent[0];
  const before = parent ? (await readCommitTree(dir, parent)).tree : null;
  const conflicts: string[] = [];
  const toWrite: TreeChange[] = [];
  const toDelete: TreeChange[] = [];
  const toStage: string[] = [];
  const toUnstage: string[] = [];
  let staged: Map<string, string> | undefined;
  for (const change of await diffTrees(dir, before, commit.tree)) {
    const bytes = await fsp.readFile(join(dir, change.path)).catch(() => null);
    const work = bytes === null ? null : hashObject("blob", bytes);
    const wanted = change.after?.oid ?? null;
    if (work !== wanted && work !== (change.before?.oid ?? null)) {
      // Someone's edit: keep the file. An index entry still at the parent's version is the
      // crash's doing: set it to HEAD's, so only the edit shows as dirt.
      conflicts.push(change.path);
      if ((staged ??= await indexOids(dir)).get(change.path) !== change.before?.oid) continue;
      if (change.after) {
        const mode = Number.parseInt(change.after.mode, 8);
        await git.updateIndex({ fs, dir, filepath: change.path, oid: change.after.oid, mode, add: true, cache: gitCache });
      } else {
        await git.remove({ fs, dir, filepath: change.path, cache: gitCache });
      }
      continue;
    }
    if (work !== wanted) (change.after ? toWrite : toDelete).push(change);
    // Stage only what differs from the index: re-adding an entry that is already right rewrites
    // .git/index, and a run that then refuses must leave no byte changed.
    const inIndex = (staged ??= await indexOids(dir)).get(change.path) ?? null;
    if (work !== wanted || inIndex !== wanted) (change.after ? toStage : toUnstage).push(change.path);
  }
  for (const change of toDelete) {
    await fsp.rm(join(dir, change.path), { force: true });
    await pruneEmptyDirs(dir, dirname(change.path));
  }
  for (const change of toWrite) {
    if (!change.after) continue;
    const full = join(dir, change.path);
    const { blob } = await git.readBlob({ fs, dir, oid: change.after.oid, cache: gitCache });
    await fsp.mkdir(dirname(full), { recursive: true });
    await replaceWorkFile(gitdir, full, blob);
    await fsp.chmod(full, change.after.mode === "100755" ? 0o755 : 0o644);
  }
  await stage(dir, toStage, toUnstage);
  return { repaired: [...toDelete, ...toWrite].map((c) => c.path).sort(), conflicts, leftovers };
}

/** path -> blob id of every index entry. */
async function indexOids(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await git.walk({
    fs,
    dir,
    cache: gitCache,
    trees: [git.STAGE()],
    map: async (path, [entry]) => {
      if (entry && (await entry.type()) === "blob") out.set(path, await entry.oid());
      return true;
    },
  });
  return out;
}
