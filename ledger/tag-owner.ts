/**
 * Whether a generation tag name is taken. A gen-N tag is never moved off a generation that any
 * branch or evolve ref (a reset's backup) still reaches: on this branch, on another branch (issue:
 * `evolve run` on `experiment` tagged gen-1, then a run on `main` moved gen-1 to its own commit), or
 * kept by a backup. Only a tag on a commit no ref reaches (a run killed between writing the tag and
 * moving its branch) is free to be written again, so a resumed run keeps gen-N for generation N.
 */
import git from "isomorphic-git";
import { fs, gitCache } from "./fs.js";
import { peelToCommit, readRef } from "./read-tree.js";

/** True when tag `name` exists and may not be rewritten for a new commit on top of `tip`. */
export async function tagIsTaken(dir: string, name: string, tip: string): Promise<boolean> {
  const ref = await readRef(dir, `refs/tags/${name}`);
  if (ref === undefined) return false;
  const tagged = await peelToCommit(dir, ref).catch(() => undefined);
  // A tag that cannot be peeled to a commit is not ours to overwrite.
  if (tagged === undefined) return true;
  const reaches = (from: string): Promise<boolean> =>
    from === tagged ? Promise.resolve(true) : git.isDescendent({ fs, dir, oid: from, ancestor: tagged, depth: -1, cache: gitCache }).catch(() => false);
  if (await reaches(tip)) return true;
  for (const prefix of ["refs/heads", "refs/evolve", "refs/remotes"]) {
    const names = await git.listRefs({ fs, dir, filepath: prefix }).catch(() => [] as string[]);
    for (const name of names) {
      const oid = await readRef(dir, `${prefix}/${name}`);
      if (oid !== undefined && (await reaches(oid))) return true;
    }
  }
  return false;
}
