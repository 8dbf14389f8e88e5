/**
 * Generation numbering, shared by everything that commits a generation (run, rollback, tune): the
 * number comes from the `Evolve-Generation` trailers of the first-parent history, and the tag is
 * `gen-N` unless that name already marks a commit of the branch.
 */
import git from "isomorphic-git";
import { fs, gitCache } from "./fs.js";
import { peelToCommit, readRef } from "./read-tree.js";
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
  for (let at: string | undefined = tip; at !== undefined; ) {
    const { commit } = await git.readCommit({ fs, dir: root, oid: at, cache: gitCache });
    const value = parseTrailers(commit.message).get(TRAILER.generation);
    const g = value === undefined ? Number.NaN : Number(value);
    if (Number.isInteger(g)) return g;
    at = commit.parent[0];
  }
  return 0;
}

/**
 * The tag name for the next generation on top of `tip`: `wanted`, or `wanted.2`, ... when a tag of
 * that name already marks a commit of the branch's history. A tag on a commit the branch never
 * reached (a run killed between writing the tag and moving the branch) is not taken: commitChanges
 * overwrites it, so a resumed run keeps gen-N for generation N.
 */
export async function freeTagName(root: string, wanted: string, tip: string): Promise<string> {
  const taken = async (name: string): Promise<boolean> => {
    const ref = await readRef(root, `refs/tags/${name}`);
    if (ref === undefined) return false;
    const tagged = await peelToCommit(root, ref).catch(() => undefined);
    // A tag that cannot be peeled to a commit is not ours to overwrite.
    if (tagged === undefined) return true;
    return tagged === tip || (await git.isDescendent({ fs, dir: root, oid: tip, ancestor: tagged, depth: -1, cache: gitCache }));
  };
  if (!(await taken(wanted))) return wanted;
  for (let i = 2; ; i++) if (!(await taken(`${wanted}.${i}`))) return `${wanted}.${i}`;
}
