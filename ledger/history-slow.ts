/**
 * The object-by-object path (isomorphic-git) for what the bulk readers cannot reach: objects in
 * alternates or in a pack too large to hold in memory. Loaded on demand by history-read.ts.
 */
import git from "isomorphic-git";
import { EvolveError } from "../kernel/errors.js";
import type { ParsedCommit } from "./commit-object.js";
import { fs, gitCache } from "./fs.js";

/** The commit `oid` read by isomorphic-git; `ref-not-found` when it is missing or not a commit. */
export async function readCommitInfoSlow(dir: string, oid: string): Promise<ParsedCommit> {
  try {
    const { commit } = await git.readCommit({ fs, dir, oid, cache: gitCache });
    return { tree: commit.tree, parents: commit.parent, author: `${commit.author.name} <${commit.author.email}>`, timestamp: commit.author.timestamp, message: commit.message };
  } catch (error) {
    const reason = `commit ${oid} cannot be read: ${(error as Error).message.split("\n", 1)[0] ?? ""}`;
    throw new EvolveError("ref-not-found", reason, { ref: oid, reason, dir }, { cause: error });
  }
}
