import git from "isomorphic-git";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { fs, gitCache, gitdirOf } from "./fs.js";
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
export async function firstParentLog(dir: string, ref: string, options: { limit?: number; tags?: boolean } = {}): Promise<LogEntry[]> {
  const limit = options.limit ?? Infinity;
  // Callers that only read trailers (the evolution loop) skip the tag scan, which dominates on long histories.
  const tags = options.tags === false ? new Map<string, string[]>() : await tagsByCommit(dir);
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
  const refs = await tagRefs(dir);
  const out = new Map<string, string[]>();
  const names = [...refs.keys()];
  // Peeling reads one object per annotated tag; reading them concurrently hides the file-system latency.
  const BATCH = 64;
  for (let i = 0; i < names.length; i += BATCH) {
    const batch = names.slice(i, i + BATCH);
    const commits = await Promise.all(
      batch.map((name) => {
        const r = refs.get(name)!;
        // A broken tag, or one on a tree or blob, has no place in a commit log.
        return r.peeled !== undefined ? Promise.resolve(r.peeled) : peelToCommit(dir, r.oid).catch(() => undefined);
      }),
    );
    batch.forEach((name, k) => {
      const commit = commits[k];
      if (commit === undefined) return;
      const list = out.get(commit);
      if (list) list.push(name);
      else out.set(commit, [name]);
    });
  }
  return out;
}

/**
 * Every tag ref, read the way native git stores them: packed-refs (whose `^` lines already give the
 * peeled commit) overridden by loose files under refs/tags/. Reading the files directly, instead of a
 * resolveRef per tag (which re-reads packed-refs each time), is what keeps 10,000 tags fast.
 */
async function tagRefs(dir: string): Promise<Map<string, { oid: string; peeled?: string }>> {
  const gitdir = await gitdirOf(dir);
  const out = new Map<string, { oid: string; peeled?: string }>();
  const packed = await fsp.readFile(join(gitdir, "packed-refs"), "utf8").catch(() => "");
  let last: { oid: string; peeled?: string } | undefined;
  for (const line of packed.split("\n")) {
    if (line.startsWith("^")) {
      if (last !== undefined) last.peeled = line.slice(1).trim();
      continue;
    }
    const [oid, ref] = line.split(" ");
    last = undefined;
    if (oid === undefined || ref === undefined || !ref.startsWith("refs/tags/") || !/^[0-9a-f]{40}$/.test(oid)) continue;
    last = { oid };
    out.set(ref.slice("refs/tags/".length), last);
  }
  const walk = async (sub: string): Promise<void> => {
    const entries = await fsp.readdir(join(gitdir, "refs", "tags", sub), { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.map(async (e) => {
        const name = sub === "" ? e.name : `${sub}/${e.name}`;
        if (e.isDirectory()) return walk(name);
        // Lock files and temporary files are writes in progress, not tags (native git agrees).
        if (name.endsWith(".lock") || e.name.startsWith(".")) return;
        const oid = (await fsp.readFile(join(gitdir, "refs", "tags", name), "utf8").catch(() => "")).trim();
        if (/^[0-9a-f]{40}$/.test(oid)) out.set(name, { oid });
      }),
    );
  };
  await walk("");
  return out;
}
