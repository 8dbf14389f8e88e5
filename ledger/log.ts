import git from "isomorphic-git";
import { fs, gitCache } from "./fs.js";
import { peelToCommit, resolveRef } from "./read-tree.js";
import { parseTrailers } from "./trailers.js";

/** One commit of the first-parent history. */
export interface LogEntry {
  commit: string;
  tree: string;
  parents: string[];
  /** First line of the message. */
  subject: string;
  message: string;
  /** `name <email>`. */
  author: string;
  /** Author time, seconds since the epoch. */
  timestamp: number;
  trailers: Map<string, string>;
  /** Names of the tags that point (after peeling) at this commit, sorted. */
  tags: string[];
}

/** First-parent history from `ref` back to the root (or `limit` entries), newest first. */
export async function firstParentLog(dir: string, ref: string, options: { limit?: number } = {}): Promise<LogEntry[]> {
  const limit = options.limit ?? Infinity;
  const tags = await tagsByCommit(dir);
  const out: LogEntry[] = [];
  let next: string | undefined = await resolveRef(dir, ref);
  while (next !== undefined && out.length < limit) {
    const { commit } = await git.readCommit({ fs, dir, oid: next, cache: gitCache });
    out.push({
      commit: next,
      tree: commit.tree,
      parents: commit.parent,
      subject: commit.message.split("\n", 1)[0] ?? "",
      message: commit.message,
      author: `${commit.author.name} <${commit.author.email}>`,
      timestamp: commit.author.timestamp,
      trailers: parseTrailers(commit.message),
      tags: (tags.get(next) ?? []).sort(),
    });
    next = commit.parent[0];
  }
  return out;
}

/** Commit id -> names of the tags that lead to it. */
export async function tagsByCommit(dir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const name of await git.listTags({ fs, dir })) {
    // isomorphic-git lists lock files (`gen-3.lock`) as tags; native git does not.
    if (name.endsWith(".lock")) continue;
    const oid = await git.resolveRef({ fs, dir, ref: `refs/tags/${name}` }).catch(() => undefined);
    // A broken tag, or one on a tree or blob, has no place in a commit log.
    const commit = oid === undefined ? undefined : await peelToCommit(dir, oid).catch(() => undefined);
    if (commit === undefined) continue;
    const list = out.get(commit);
    if (list) list.push(name);
    else out.set(commit, [name]);
  }
  return out;
}
