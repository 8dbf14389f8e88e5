import { promises as fsp } from "node:fs";
import { join } from "node:path";
import git from "isomorphic-git";
import { EvolveError } from "../kernel/errors.js";
import { fs, gitCache, gitdirOf, hashObject, updateRef, writeObjects, type GitObject } from "./fs.js";
import { checkRefName, commitObject, formatIdentity, tagObject, type Identity } from "./objects.js";
import { indexNewObjects } from "./generation-index.js";
import { tagIsTaken } from "./tag-owner.js";
import { headBranch, peelToCommit, readRef } from "./read-tree.js";
import { buildTree, checkPath, isTree, lookupPath, readCommitTree } from "./tree-hash.js";
import { syncWorktree } from "./worktree.js";

/** What to commit, and where. */
export interface CommitOptions {
  /** Short branch name, e.g. `main`. */
  readonly branch: string;
  /** The commit the changes were made against; the branch must still point at it. */
  readonly parent: string;
  /** path -> new text, or null to delete. */
  readonly changes: ReadonlyMap<string, string | null>;
  /** Full commit message (see formatMessage). */
  readonly message: string;
  /** If given, an annotated tag of this name is created on the commit. */
  readonly tagName?: string;
  /** The tag's message (default: the tag name). */
  readonly tagMessage?: string;
  /** Author, committer and tagger (default `evolve <evolve@localhost>`, now, +0000). */
  readonly author?: Identity;
}

/** The commit written and its tree. */
export interface CommitResult {
  readonly commit: string;
  readonly tree: string;
}

/**
 * Commit `changes` on top of `parent`, which must be the branch tip, then tag the commit and
 * bring the work tree along (only if that branch is checked out; only the changed paths).
 *
 * Crash safety: objects are written first (atomically, see writeObjects), then the tag ref, then
 * the branch ref under a lock that re-checks the tip, then files. Killed at any point, the branch
 * names a complete commit. A tag left on a commit the branch never reached is overwritten by the
 * retry (or, when the branch update failed for a machine fault, removed at once); files left
 * behind the branch are fixed by repairWorktree.
 */
export async function commitChanges(dir: string, options: CommitOptions): Promise<CommitResult> {
  const { branch, parent, changes, message, tagName } = options;
  checkRefName(branch, "commitChanges: branch");
  if (tagName !== undefined) checkRefName(tagName, "commitChanges: tagName");
  for (const path of changes.keys()) checkPath(path, "commitChanges: changes");
  const gitdir = await gitdirOf(dir);
  const branchRef = `refs/heads/${branch}`;

  const tip = await readRef(dir, branchRef);
  if (tip === undefined) throw new EvolveError("ref-not-found", `commitChanges: ${dir}: branch ${branch} does not exist`, { ref: branch, reason: "no such branch", dir });
  if (tip !== parent) {
    throw new EvolveError("branch-moved", `commitChanges: branch ${branch} is at ${tip}, not at the expected parent ${parent}; someone moved it`, {
      ref: branchRef,
      branch,
      expected: parent,
      actual: tip,
    });
  }
  const { tree: parentTree } = await readCommitTree(dir, parent);
  const checkedOut = (await headBranch(dir)) === branch;
  if (checkedOut) await guardWorktree(dir, parentTree, changes);

  const built = await buildTree(dir, parentTree, changes);
  if (built.tree === parentTree) throw new EvolveError("no-change", "commitChanges: the changes leave the tree as it is; nothing to commit", { commit: parent, branch });

  const identity = formatIdentity(options.author);
  const commit = commitObject(built.tree, [parent], identity, message);
  const objects: GitObject[] = [...built.objects, commit];
  let tagOid: string | undefined;
  if (tagName !== undefined) {
    await guardTag(dir, tagName, tip);
    const tag = tagObject(commit.oid, tagName, identity, options.tagMessage ?? tagName);
    objects.push(tag);
    tagOid = tag.oid;
  }

  await writeObjects(gitdir, objects);
  const tagRef = `refs/tags/${tagName}`;
  const tagBefore = tagOid === undefined ? undefined : await readRef(dir, tagRef);
  if (tagOid !== undefined) await updateRef(gitdir, tagRef, tagOid, undefined, () => readRef(dir, tagRef));
  try {
    await updateRef(gitdir, branchRef, commit.oid, parent, () => readRef(dir, branchRef));
  } catch (error) {
    // A machine fault (full disk, denied permission) kept the branch where it was: a tag this call
    // created would name a commit no branch reaches, so take it back and the failure moves no ref.
    const machine = !(error instanceof EvolveError) || error.code === "storage";
    if (machine && tagOid !== undefined && tagBefore === undefined) await dropTag(gitdir, tagRef, tagOid);
    throw error;
  }
  // The generation index is a cache: killed before this line, the next reader adds the commit itself.
  indexNewObjects(gitdir, objects);
  if (checkedOut) await syncWorktree(dir, changes);
  return { commit: commit.oid, tree: built.tree };
}

/** Remove the loose tag ref `tagRef` if it still holds `tagOid` (what this process wrote). */
async function dropTag(gitdir: string, tagRef: string, tagOid: string): Promise<void> {
  const file = join(gitdir, tagRef);
  const now = await fsp.readFile(file, "utf8").catch(() => null);
  if (now?.trim() === tagOid) await fsp.rm(file, { force: true });
}

/**
 * Refuse to overwrite local edits: each changed path must hold, in the work tree, the parent's
 * content (absent if the parent lacks it) or already the new content. A new path must not be
 * ignored by .gitignore, since `git add` would not take it either.
 */
async function guardWorktree(dir: string, parentTree: string, changes: ReadonlyMap<string, string | null>): Promise<void> {
  for (const [path, text] of changes) {
    const found = await lookupPath(dir, parentTree, path);
    // A directory turning into a file is checked as "no file here yet"; its files are changes too.
    const entry = found && !isTree(found) ? found : undefined;
    const bytes = await fsp.readFile(join(dir, path)).catch(() => null);
    const work = bytes === null ? null : hashObject("blob", bytes);
    const next = text === null ? null : hashObject("blob", Buffer.from(text, "utf8"));
    if (work !== (entry?.oid ?? null) && work !== next) {
      throw new EvolveError("dirty-worktree", `commitChanges: ${path} has local modifications in ${dir}; commit or discard them first`, { dir, paths: [path] });
    }
    if (!entry && text !== null && (await git.isIgnored({ fs, dir, filepath: path }))) {
      throw new EvolveError("ignored-path", `commitChanges: ${path} is new and matched by .gitignore; refusing to commit it`, { dir, path });
    }
  }
}

/** A tag may be (re)written only if it does not exist or names a commit no ref reaches (see tag-owner.ts). */
async function guardTag(dir: string, tagName: string, tip: string): Promise<void> {
  if (!(await tagIsTaken(dir, tagName, tip))) return;
  const tagged = await peelToCommit(dir, (await readRef(dir, `refs/tags/${tagName}`))!).catch(() => undefined);
  throw new EvolveError("tag-exists", `commitChanges: tag ${tagName} already exists on commit ${tagged ?? "(not a commit)"}, which a branch or backup still reaches; tags are never moved`, { tag: tagName, commit: tagged ?? null });
}
