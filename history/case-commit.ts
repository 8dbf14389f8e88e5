/**
 * A golden case appended to one case file and committed as a user commit (no generation, no tag):
 * what `evolve promote` and `evolve cases record` share. The plan is made against HEAD with nothing
 * written, so the command can show the case and ask first; the commit then goes on top of that HEAD
 * or is refused, so a confirmation never lands on a branch the user did not see.
 */
import { EvolveError, isEvolveError, reworded } from "../kernel/errors.js";
import { commitChanges, dirtyPaths, type Identity } from "../ledger/index.js";

export interface CaseFilePlan<Case> {
  root: string;
  branch: string;
  /** HEAD when planned: the commit goes on top of it, or is refused if the branch moved. */
  parent: string;
  file: string;
  /** The whole new content of the file. */
  text: string;
  /** The appended YAML, for showing. */
  yaml: string;
  case: Case;
  /** True when the file is new. */
  created: boolean;
}

/** Refused while planning, before anything is written: the user's own edits to the file would be lost. */
export async function refuseDirtyCaseFile(root: string, file: string): Promise<void> {
  if ((await dirtyPaths(root)).includes(file)) {
    throw new EvolveError("dirty-worktree", `${file} has uncommitted changes; commit or discard them first (nothing was changed)`, { paths: [file] });
  }
}

/** How a refused commit is told to the user. */
export interface CaseCommitWording {
  /** What was being done to the case when the branch moved: "promoted", "recorded". */
  doing: string;
  /** The command to run again. */
  command: string;
  /** Also reword a case file edited since planning (promote does; cases record lets commitChanges' message through). */
  rewordDirty?: boolean;
}

/** Commits the planned file as a user commit; refused if the branch moved since it was planned. */
export async function commitCaseFile(plan: CaseFilePlan<unknown>, message: string, wording: CaseCommitWording, author?: Identity): Promise<{ commit: string }> {
  try {
    const r = await commitChanges(plan.root, { branch: plan.branch, parent: plan.parent, changes: new Map([[plan.file, plan.text]]), message, ...(author ? { author } : {}) });
    return { commit: r.commit };
  } catch (e) {
    if (isEvolveError(e, "branch-moved")) throw reworded(e, `${plan.branch} moved while the case was being ${wording.doing}; nothing was committed, run ${wording.command} again`);
    if (wording.rewordDirty === true && isEvolveError(e, "dirty-worktree")) throw reworded(e, `${plan.file} has uncommitted changes; nothing was committed`);
    throw e;
  }
}
