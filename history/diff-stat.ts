/**
 * What a commit changed, file by file: status, lines added and removed, and a unified diff of the
 * text files. Read from the two trees directly, so only changed files are loaded.
 */
import { structuredPatch } from "diff";
import { diffTrees, EMPTY_TREE, readBlobText, readCommitTree, resolveRef, unifiedDiff } from "../ledger/index.js";

/** One changed path. Counts are null for binary content (or a symlink or submodule). */
export interface FileStat {
  path: string;
  status: "added" | "deleted" | "modified";
  added: number | null;
  removed: number | null;
}

/** The change between two commits: per-file stats (sorted by path) and a git-style unified diff of the text files. */
export interface CommitDiff {
  files: FileStat[];
  /** Lines added and removed over the text files. */
  added: number;
  removed: number;
  patch: string;
}

/** Diff `from` (null = the empty tree, for a root commit) to `to`; both are revisions. */
export async function commitDiff(dir: string, from: string | null, to: string): Promise<CommitDiff> {
  const fromTree = from === null ? EMPTY_TREE : (await readCommitTree(dir, await resolveRef(dir, from))).tree;
  const toTree = (await readCommitTree(dir, await resolveRef(dir, to))).tree;
  const files: FileStat[] = [];
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  for (const change of await diffTrees(dir, fromTree, toTree)) {
    const status = change.before === null ? "added" : change.after === null ? "deleted" : "modified";
    const a = change.before === null ? "" : await textOf(dir, change.before.mode, change.before.oid);
    const b = change.after === null ? "" : await textOf(dir, change.after.mode, change.after.oid);
    if (a === null || b === null) {
      files.push({ path: change.path, status, added: null, removed: null });
      continue;
    }
    if (change.before !== null) before.set(change.path, a);
    if (change.after !== null) after.set(change.path, b);
    const { added, removed } = countLines(a, b);
    files.push({ path: change.path, status, added, removed });
  }
  return {
    files,
    added: files.reduce((n, f) => n + (f.added ?? 0), 0),
    removed: files.reduce((n, f) => n + (f.removed ?? 0), 0),
    patch: unifiedDiff(before, after),
  };
}

/** `path +a -r` per file, `(binary)` where there are no line counts. */
export function formatStat(files: readonly FileStat[]): string[] {
  return files.map((f) => `${f.path}${f.status === "modified" ? "" : ` (${f.status})`} ${f.added === null ? "(binary)" : `+${f.added} -${f.removed}`}`);
}

async function textOf(dir: string, mode: string, oid: string): Promise<string | null> {
  if (!/^1006[0-7]{2}$/.test(mode)) return null;
  return readBlobText(dir, oid);
}

function countLines(a: string, b: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const hunk of structuredPatch("a", "b", a, b, undefined, undefined, { context: 0 }).hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith("+")) added++;
      else if (line.startsWith("-")) removed++;
    }
  }
  return { added, removed };
}
