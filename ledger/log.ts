/**
 * The first-parent history of a ref, newest first, as the commands and the loop read it: through
 * the generation index (history-read.ts), so a long history costs one file read rather than an
 * object read per commit. `walkFirstParent` yields entries as it goes, so a caller can print the
 * first before the last is read.
 */
import type { ParsedCommit } from "./commit-object.js";
import { openHistory, resolveCommit } from "./history-read.js";
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

/** What to read. */
export interface LogOptions {
  /** At most this many entries. */
  limit?: number;
  /** false: skip the tag scan (callers that only read trailers, such as the evolution loop). */
  tags?: boolean;
}

/** First-parent history from `ref` back to the root (or `limit` entries), newest first. */
export async function firstParentLog(dir: string, ref: string, options: LogOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const entry of walkFirstParent(dir, ref, options)) out.push(entry);
  return out;
}

/** The same, one entry at a time; what was read from git is saved to the index when the walk ends. */
export async function* walkFirstParent(dir: string, ref: string, options: LogOptions = {}): AsyncGenerator<LogEntry> {
  for await (const batch of walkFirstParentBatches(dir, ref, options)) yield* batch;
}

/**
 * The same in batches: the first batch holds one entry (so a caller can show it at once), the later
 * ones up to `batch` entries each, read without a pause between them.
 */
export async function* walkFirstParentBatches(dir: string, ref: string, options: LogOptions & { batch?: number } = {}): AsyncGenerator<LogEntry[]> {
  const limit = options.limit ?? Infinity;
  const size = options.batch ?? 512;
  const history = await openHistory(dir);
  let next: string | undefined = await resolveCommit(history, ref);
  const tags = options.tags === false ? new Map<string, string[]>() : history.tagsByCommit();
  try {
    let count = 0;
    let batch: LogEntry[] = [];
    while (next !== undefined && count < limit) {
      const oid: string = next;
      const commit = history.commitNow(oid) ?? (await history.commit(oid));
      batch.push(entryOf(oid, commit, tags.get(oid)));
      next = commit.parents[0];
      count++;
      if (count === 1 || batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    history.save();
  }
}

function entryOf(oid: string, commit: ParsedCommit, tags: string[] | undefined): LogEntry {
  const eol = commit.message.indexOf("\n");
  return {
    commit: oid,
    tree: commit.tree,
    parents: commit.parents,
    subject: eol < 0 ? commit.message : commit.message.slice(0, eol),
    message: commit.message,
    author: commit.author,
    timestamp: commit.timestamp,
    trailers: parseTrailers(commit.message),
    tags: tags === undefined ? [] : [...tags].sort(),
  };
}

/** Commit id -> names of the tags that lead to it. */
export async function tagsByCommit(dir: string): Promise<Map<string, string[]>> {
  const history = await openHistory(dir);
  const tags = history.tagsByCommit();
  history.save();
  return tags;
}
