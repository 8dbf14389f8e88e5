/**
 * `evolve promote ID [--split train|holdout] [--expected TEXT] [--yes]`: turn a recorded interaction
 * into an agent-level golden case in golden-tests/promoted.yaml, show it, and commit it (a user
 * commit, not a generation) once confirmed. Without a terminal, the answer is read from stdin; no
 * answer at all is a refusal: pass --yes.
 */
import { commitPromotion, planPromotion } from "../../history/promote.js";
import { c, fail, output } from "../output.js";
import { confirmCase } from "./confirm-case.js";
import { parseInteractionId, storeForId } from "./feedback.js";
import { lockedCommand, type LockFlags } from "./lock.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface PromoteFlags extends LockFlags {
  workspace?: string;
  split?: "train" | "holdout";
  expected?: string;
  yes?: boolean;
  json?: boolean;
}

/** Holds the workspace lock from planning to committing (see lockedCommand). */
export async function promoteCommand(idText: string, flags: PromoteFlags): Promise<void> {
  await lockedCommand("evolve promote", flags, () => promoteUnlocked(idText, flags));
}

async function promoteUnlocked(idText: string, flags: PromoteFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const id = parseInteractionId(idText);
    const root = workspaceFromFlag(flags.workspace);
    const store = await storeForId(root, id);
    let interaction;
    try {
      interaction = store.get(id);
    } finally {
      store.close();
    }
    const plan = await planPromotion(root, interaction, {
      ...(flags.split !== undefined ? { split: flags.split } : {}),
      ...(flags.expected !== undefined ? { expected: flags.expected } : {}),
    });
    const declined = { interaction: id, committed: false, case: plan.case };
    if (!(await confirmCase(out, plan, flags.yes, { command: "promote", declined }))) return;
    const { commit } = await commitPromotion(plan);
    out.say(`${c.green("committed")} case ${c.bold(plan.case.id)} (${plan.case.split}) as ${commit.slice(0, 10)} on ${plan.branch}; evolve run and evolve tune judge the agent with it`);
    if (out.isJson) out.json({ interaction: id, committed: true, commit, file: plan.file, basis: plan.basis, case: plan.case });
  } catch (e) {
    fail(e);
  }
}
