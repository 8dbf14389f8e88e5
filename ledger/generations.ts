/**
 * Generation numbering, shared by everything that commits a generation (run, rollback, tune): the
 * number comes from the `Evolve-Generation` trailers of the first-parent history, and the tag is
 * `gen-N` unless that name already marks a commit of the branch.
 */
import type { ParsedCommit } from "./commit-object.js";
import { openHistory } from "./history-read.js";
import { headBranch } from "./read-tree.js";
import { tagIsTaken } from "./tag-owner.js";
import { parseTrailers } from "./index.js";
import type { LogEntry } from "./index.js";
import { TRAILER } from "./record.js";

/** The newest generation number in an already-read log (newest first); 0 when there is none. */
export function lastGeneration(log: readonly LogEntry[]): number {
  for (const e of log) {
    const g = Number(e.trailers.get(TRAILER.generation));
    if (Number.isInteger(g)) return g;
  }
  return 0;
}

/** The same, read from git starting at `tip`, only as far back as it must. */
export async function lastGenerationAt(root: string, tip: string): Promise<number> {
  const history = await openHistory(root);
  try {
    for (let at: string | undefined = tip; at !== undefined; ) {
      const commit: ParsedCommit = history.commitNow(at) ?? (await history.commit(at));
      const value = parseTrailers(commit.message).get(TRAILER.generation);
      const g = value === undefined ? Number.NaN : Number(value);
      if (Number.isInteger(g)) return g;
      at = commit.parents[0];
    }
    return 0;
  } finally {
    history.save();
  }
}

/**
 * The tag name for the next generation on top of `tip` (on the branch HEAD names): `wanted` (gen-N)
 * unless that tag already marks a generation some ref reaches (see tag-owner.ts), then
 * `BRANCH/wanted`, then `BRANCH/wanted.2`, ...: tags are numbered per branch, the first branch to
 * reach generation N keeps the plain name, and no tag ever moves. A tag on a commit no ref reaches
 * (a run killed between writing the tag and moving the branch) is overwritten by commitChanges.
 */
export async function freeTagName(root: string, wanted: string, tip: string): Promise<string> {
  if (!(await tagIsTaken(root, wanted, tip))) return wanted;
  const branch = await headBranch(root);
  const base = branch === undefined ? wanted : `${branch}/${wanted}`;
  if (branch !== undefined && !(await tagIsTaken(root, base, tip))) return base;
  for (let i = 2; ; i++) if (!(await tagIsTaken(root, `${base}.${i}`, tip))) return `${base}.${i}`;
}
