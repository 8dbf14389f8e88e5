/**
 * Revert one commit of a branch's history, giving the same tree as native `git revert --no-edit`.
 * isomorphic-git has no revert; its 3-way merge does the work (see revertTree).
 */
import { EvolveError } from "../kernel/errors.js";
import git, { Errors } from "isomorphic-git";
import { commitChanges } from "./commit-generation.js";
import { fs, gitCache, gitdirOf, makeObject, writeObjects } from "./fs.js";
import { checkRefName, commitObject, formatIdentity, type Identity } from "./objects.js";
import { decodeText, headBranch, readRef, resolveRef } from "./read-tree.js";
import { buildTree, diffTrees, EMPTY_TREE, readCommitTree } from "./tree-hash.js";
import { dirtyPaths } from "./worktree.js";

/** The revert cannot be applied cleanly: later commits changed the same lines or files. */
export class RevertConflictError extends EvolveError<{ target: string; files: string[] }> {
  /** Paths that conflict, sorted. */
  readonly files: string[];
  /** The commit that was to be reverted. */
  readonly target: string;

  constructor(target: string, files: readonly string[], detail = "") {
    const sorted = [...files].sort();
    super("revert-conflict", `revert of ${target} conflicts with later changes in ${sorted.join(", ")}${detail}; nothing was changed`, { target, files: sorted });
    this.name = "RevertConflictError";
    this.files = sorted;
    this.target = target;
  }
}

/** What the caller's message function learns about the revert. */
export interface RevertInfo {
  /** Full id of the reverted commit. */
  readonly target: string;
  /** First line of its message. */
  readonly targetSubject: string;
  /** Paths the revert changes relative to the branch tip, sorted. */
  readonly changed: string[];
}

/** How to record a revert. */
export interface RevertOptions {
  /** Short branch name, e.g. `main`; the revert goes on top of its tip. */
  readonly branch: string;
  /** The commit to revert (any revision resolveRef accepts). It must be in the branch's history. */
  readonly target: string;
  /** The full commit message (see formatMessage), built once the revert is known to apply. */
  readonly message: (info: RevertInfo) => string;
  /** If given, an annotated tag of this name is created on the revert commit. */
  readonly tagName?: string;
  readonly tagMessage?: string;
  /** Author, committer and tagger (default `evolve <evolve@localhost>`, now). */
  readonly author?: Identity;
}

/** The revert commit written, its tree, and the paths it changed (sorted). */
export interface RevertResult {
  readonly commit: string;
  readonly tree: string;
  readonly changed: string[];
}

// The scratch commits are dated at the epoch so that the same revert always produces the same
// objects: measuring a revert twice leaves no extra litter.
const SCRATCH: Identity = { name: "evolve", email: "evolve@localhost", timestamp: 0, timezoneOffset: 0 };

/**
 * The tree that reverting `target` on top of `tip` would produce, and the paths it changes
 * relative to `tip`, without moving a ref or touching the work tree or index.
 *
 * Reverting the tip itself is its first parent's tree. Otherwise a scratch commit S (tree = the
 * target's parent's tree, parent = the target) is merged into `tip`: the merge base is then the
 * target, so the merge computes "tip + (parent(target) - target)", which is what git revert does.
 * The merge runs for real rather than as a dry run because isomorphic-git's dry run computes tree
 * ids without storing the trees; S, the merge commit and the merged objects are left as
 * unreachable loose objects (deterministic, so repeating a revert reuses them; gc removes them).
 *
 * Throws RevertConflictError naming the files when the merge conflicts.
 */
export async function revertTree(dir: string, tip: string, target: string): Promise<{ tree: string; changed: string[] }> {
  const tipOid = await resolveRef(dir, tip);
  const targetOid = await resolveRef(dir, target);
  const { commit } = await git.readCommit({ fs, dir, oid: targetOid, cache: gitCache });
  if (commit.parent.length > 1) {
    throw new EvolveError("merge-commit", `${targetOid} is a merge commit (${commit.parent.length} parents); reverting a merge is not supported`, { commit: targetOid, parents: commit.parent.length });
  }
  if (targetOid !== tipOid && !(await git.isDescendent({ fs, dir, oid: tipOid, ancestor: targetOid, depth: -1, cache: gitCache }))) {
    throw new EvolveError("not-in-history", `${targetOid} is not in the history of ${tipOid}; only an ancestor of the tip can be reverted`, { commit: targetOid, tip: tipOid });
  }
  const parent = commit.parent[0];
  const parentTree = parent === undefined ? EMPTY_TREE : (await readCommitTree(dir, parent)).tree;
  const { tree: tipTree } = await readCommitTree(dir, tipOid);

  let tree: string;
  if (targetOid === tipOid) {
    tree = parentTree;
  } else {
    tree = await mergeRevert(dir, tipOid, targetOid, commit.tree, parentTree, tipTree);
  }
  const changed = (await diffTrees(dir, tipTree, tree)).map((c) => c.path);
  return { tree, changed };
}

async function mergeRevert(dir: string, tip: string, target: string, targetTree: string, parentTree: string, tipTree: string): Promise<string> {
  const gitdir = await gitdirOf(dir);
  const identity = formatIdentity(SCRATCH, "scratch");
  const scratch = commitObject(parentTree, [target], identity, `evolve: scratch commit to revert ${target}`);
  // The empty tree is known to native git without being stored; isomorphic-git needs the object.
  const objects = parentTree === EMPTY_TREE ? [scratch, makeObject("tree", Buffer.alloc(0))] : [scratch];
  await writeObjects(gitdir, objects);
  const author = { name: SCRATCH.name, email: SCRATCH.email, timestamp: 0, timezoneOffset: 0 };
  try {
    const result = await git.merge({
      fs,
      dir,
      ours: tip,
      theirs: scratch.oid,
      noUpdateBranch: true,
      fastForward: false,
      author,
      committer: author,
      message: `evolve: scratch merge to revert ${target}`,
      cache: gitCache,
    });
    if (result.tree === undefined) throw new Error(`revert: merge of ${target} into ${tip} returned no tree`);
    return result.tree;
  } catch (error) {
    if (error instanceof Errors.MergeConflictError) {
      throw new RevertConflictError(target, error.data.filepaths);
    }
    if (error instanceof Errors.MergeNotSupportedError) {
      // isomorphic-git gives up on some add/add and file/directory cases without naming paths:
      // name every path both sides changed, which contains the culprit.
      const ours = new Set((await diffTrees(dir, targetTree, tipTree)).map((c) => c.path));
      const both = (await diffTrees(dir, targetTree, parentTree)).map((c) => c.path).filter((p) => ours.has(p));
      throw new RevertConflictError(target, both, " (a conflict isomorphic-git cannot merge)");
    }
    throw error;
  }
}

/**
 * Revert `options.target` on top of the tip of `options.branch` as a new commit (same tree as
 * native `git revert --no-edit`), optionally tagged; if the branch is checked out, the work tree
 * and index follow for the changed paths. Refuses a dirty work tree, a merge commit, a commit
 * outside the branch's history and a revert that changes nothing. On a conflict it throws
 * RevertConflictError and changes nothing: no ref moves, no file is written.
 */
export async function revertCommit(dir: string, options: RevertOptions): Promise<RevertResult> {
  const { branch } = options;
  checkRefName(branch, "revertCommit: branch");
  const tip = await readRef(dir, `refs/heads/${branch}`);
  if (tip === undefined) throw new EvolveError("ref-not-found", `revertCommit: ${dir}: branch ${branch} does not exist`, { ref: branch, reason: "no such branch", dir });
  const target = await resolveRef(dir, options.target);
  if ((await headBranch(dir)) === branch) {
    const dirty = await dirtyPaths(dir);
    if (dirty.length > 0) {
      throw new EvolveError("dirty-worktree", `revertCommit: ${dir} has uncommitted changes in ${dirty.join(", ")}; commit or discard them first`, { dir, paths: dirty });
    }
  }

  const { tree, changed } = await revertTree(dir, tip, target);
  if (changed.length === 0) {
    throw new EvolveError("no-change", `revertCommit: reverting ${target} changes nothing on ${branch} (its changes are already undone)`, { commit: target, branch });
  }
  const { tree: tipTree } = await readCommitTree(dir, tip);
  const changes = await textChanges(dir, tipTree, tree);
  const { commit } = await git.readCommit({ fs, dir, oid: target, cache: gitCache });
  const targetSubject = commit.message.split("\n", 1)[0] ?? "";
  const message = options.message({ target, targetSubject, changed });
  const result = await commitChanges(dir, {
    branch,
    parent: tip,
    changes,
    message,
    ...(options.tagName === undefined ? {} : { tagName: options.tagName }),
    ...(options.tagMessage === undefined ? {} : { tagMessage: options.tagMessage }),
    ...(options.author === undefined ? {} : { author: options.author }),
  });
  if (result.tree !== tree) {
    // Cannot happen after textChanges' check; kept so a future divergence cannot go unnoticed.
    throw new Error(`revertCommit: committed tree ${result.tree} differs from the revert's tree ${tree}`);
  }
  return { commit: result.commit, tree, changed };
}

/**
 * The change set (path -> text, null = delete) that turns `from` into `to`, for commitChanges.
 * Refuses what a text change set cannot express (binary content, symlinks, a changed executable
 * bit), checked by rebuilding the tree and comparing ids.
 */
async function textChanges(dir: string, from: string, to: string): Promise<Map<string, string | null>> {
  const changes = new Map<string, string | null>();
  const unsupported: string[] = [];
  for (const change of await diffTrees(dir, from, to)) {
    if (change.after === null) {
      changes.set(change.path, null);
      continue;
    }
    const { blob } = await git.readBlob({ fs, dir, oid: change.after.oid, cache: gitCache });
    const text = decodeText(blob);
    if (text === null) unsupported.push(change.path);
    else changes.set(change.path, text);
  }
  if (unsupported.length === 0) {
    const rebuilt = await buildTree(dir, from, changes);
    if (rebuilt.tree === to) return changes;
    unsupported.push(...(await diffTrees(dir, rebuilt.tree, to)).map((c) => c.path));
  }
  const paths = [...new Set(unsupported)].sort();
  throw new EvolveError("unsupported-content", `revertCommit: the revert changes ${paths.join(", ")} in ways a text commit cannot record (binary content, symlink or file mode)`, { paths });
}
