/**
 * `evolve promote`: an interaction becomes an agent-level golden case, appended to
 * golden-tests/promoted.yaml and committed as a user commit (no generation, no tag) on the current
 * branch, work tree and index updated so native git sees a clean tree. Planned first (nothing
 * written), so the command can show the case and ask before committing. The new suite is loaded
 * before anything is written: a case that would not load is never committed.
 */
import { EvolveError } from "../kernel/errors.js";
import { loadSuite } from "../golden-tests/index.js";
import { currentBranch, formatMessage, readCommitFiles } from "../ledger/index.js";
import { commitCaseFile, refuseDirtyCaseFile, type CaseFilePlan } from "./case-commit.js";
import { appendCase, caseYaml, promotedCase, type PromoteOptions, type PromotedCase, type PromotionBasis } from "../interactions/golden-case.js";
import type { Interaction } from "../interactions/index.js";

/** Where promoted cases go. */
export const PROMOTED_FILE = "golden-tests/promoted.yaml";

export interface PromotionPlan extends CaseFilePlan<PromotedCase> {
  basis: PromotionBasis;
  interactionId: number;
}

/** Everything the commit will hold, checked; nothing is written. */
export async function planPromotion(root: string, interaction: Interaction, options: PromoteOptions = {}): Promise<PromotionPlan> {
  const branch = await currentBranch(root);
  const { commit, files } = await readCommitFiles(root, "HEAD");
  const suite = loadSuite(files);
  const built = promotedCase(interaction, options);
  const id = built.case.id;
  const existing = [...suite.cases, ...(suite.agentCases ?? [])].find((c) => c.id === id);
  if (existing) throw new EvolveError("usage", `interaction ${interaction.id} is already a golden case: ${id} in ${existing.file}:${existing.line}`, { id: interaction.id, case: id });
  const before = files.get(PROMOTED_FILE);
  const text = appendCase(PROMOTED_FILE, before, built.case);
  const after = new Map(files).set(PROMOTED_FILE, text);
  const loaded = loadSuite(after).agentCases?.find((c) => c.id === id);
  if (!loaded) throw new EvolveError("internal", `the promoted case ${id} did not load back from ${PROMOTED_FILE}`, { case: id });
  await refuseDirtyCaseFile(root, PROMOTED_FILE);
  return { root, branch, parent: commit, file: PROMOTED_FILE, text, yaml: caseYaml(built.case), case: built.case, basis: built.basis, interactionId: interaction.id, created: before === undefined };
}

/** Commits a plan as a user commit; refused if the branch moved since it was planned. */
export async function commitPromotion(plan: PromotionPlan): Promise<{ commit: string }> {
  const message = formatMessage(
    `golden: promote interaction ${plan.interactionId} to case ${plan.case.id}`,
    `${plan.case.description}\nsplit: ${plan.case.split}`,
    [["Evolve-Interaction", String(plan.interactionId)]],
  );
  return commitCaseFile(plan, message, { doing: "promoted", command: "evolve promote", rewordDirty: true });
}
