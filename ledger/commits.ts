/**
 * Reading history for the layers above the ledger: a commit's parents and message, the first-parent
 * chain between two revisions, ancestry, and file content at a commit. Everything above ledger/
 * reads git through these functions (or the other public ledger modules), never through
 * isomorphic-git itself.
 */
import git from "isomorphic-git";
import { EvolveError } from "../kernel/errors.js";
import { fs, gitCache } from "./fs.js";
import { openHistory } from "./history-read.js";
import { readBlobText, resolveRef } from "./read-tree.js";
import { lookupPath, readCommitTree } from "./tree-hash.js";

/** One commit as stored. */
export interface CommitInfo {
  readonly oid: string;
  readonly tree: string;
  /** Parent ids, first parent first (empty for a root commit). */
  readonly parents: readonly string[];
  /** The whole message, trailers included. */
  readonly message: string;
  /** Its first line. */
  readonly subject: string;
}

/** The commit `oid` (a full id; resolve user input with resolveRef first). */
export async function readCommitInfo(dir: string, oid: string): Promise<CommitInfo> {
  const history = await openHistory(dir);
  const commit = history.commitNow(oid) ?? (await history.commit(oid));
  return { oid, tree: commit.tree, parents: commit.parents, message: commit.message, subject: commit.message.split("\n", 1)[0] ?? "" };
}

/**
 * The first-parent chain from `good` (exclusive) to `bad` (inclusive), oldest first, as
 * `git rev-list --first-parent good..bad` reversed. Refuses (EvolveError) equal revisions (`usage`)
 * and a `good` that is not on `bad`'s first-parent history (`not-in-history`).
 */
export async function firstParentRange(dir: string, good: string, bad: string): Promise<string[]> {
  const goodOid = await resolveRef(dir, good);
  const badOid = await resolveRef(dir, bad);
  if (goodOid === badOid) {
    throw new EvolveError("usage", `good (${good}) and bad (${bad}) are the same commit ${goodOid}`, { good, bad, commit: goodOid });
  }
  const chain: string[] = [];
  const history = await openHistory(dir);
  let at: string | undefined = badOid;
  while (at !== undefined && at !== goodOid) {
    chain.push(at);
    at = (history.commitNow(at) ?? (await history.commit(at))).parents[0];
  }
  history.save();
  if (at === undefined) {
    throw new EvolveError("not-in-history", `good (${good}, ${goodOid}) is not on the first-parent history of bad (${bad}, ${badOid})`, {
      commit: goodOid,
      tip: badOid,
      good,
      bad,
    });
  }
  return chain.reverse();
}

/** Whether commit `ancestor` is `descendant` or one of its ancestors (any parent, not only the first). */
export async function isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true;
  return git.isDescendent({ fs, dir, oid: descendant, ancestor, depth: -1, cache: gitCache });
}

/** The text of `path` in the tree of commit `commit`; undefined when absent, a directory, or binary. */
export async function readFileAt(dir: string, commit: string, path: string): Promise<string | undefined> {
  const { tree } = await readCommitTree(dir, commit);
  const entry = await lookupPath(dir, tree, path);
  if (entry === undefined || !/^1006[0-7]{2}$/.test(entry.mode)) return undefined;
  return (await readBlobText(dir, entry.oid)) ?? undefined;
}

