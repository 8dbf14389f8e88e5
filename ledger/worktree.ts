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

/** Tracked files that are modified, staged or deleted relative to HEAD, sorted. Untracked and ignored files are not dirt. */
export async function dirtyPaths(dir: string): Promise<string[]> {
  const matrix = await git.statusMatrix({ fs, dir, cache: gitCache });
  const dirty: string[] = [];
  for (const [path, head, workdir, stage] of matrix) {
    const untracked = head === 0 && stage === 0;
    const clean = head === 1 && workdir === 1 && stage === 1;
    if (!untracked && !clean) dirty.push(path);
  }
  return dirty.sort();
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
    (change.after ? toStage : toUnstage).push(change.path);
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
