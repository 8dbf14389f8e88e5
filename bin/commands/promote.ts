/**
 * `evolve promote ID [--split train|holdout] [--expected TEXT] [--yes]`: turn a recorded interaction
 * into an agent-level golden case in golden-tests/promoted.yaml, show it, and commit it (a user
 * commit, not a generation) once confirmed. Without a terminal, the answer is read from stdin; no
 * answer at all is a refusal: pass --yes.
 */
import { createInterface } from "node:readline";
import { EvolveError } from "../../kernel/errors.js";
import { commitPromotion, planPromotion } from "../../history/promote.js";
import { c, EXIT, fail, output, setExitCode } from "../output.js";
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

/** The first line of stdin as an answer; null at end of input. */
async function ask(question: string): Promise<string | null> {
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line.trim();
    output(false).warn("");
    return null;
  } finally {
    rl.close();
  }
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
    out.say(`${plan.created ? "new file" : "append to"} ${c.bold(plan.file)}:`);
    out.say(plan.yaml.trimEnd());
    if (flags.yes !== true) {
      const answer = await ask(`commit this case to ${plan.file}? [y/N] `);
      if (answer === null) throw new EvolveError("usage", "promote asks before it commits and got no answer: pass --yes to commit without asking");
      if (!/^y(es)?$/i.test(answer)) {
        out.say("not committed; nothing was changed");
        if (out.isJson) out.json({ interaction: id, committed: false, case: plan.case });
        setExitCode(EXIT.failed);
        return;
      }
    }
    const { commit } = await commitPromotion(plan);
    out.say(`${c.green("committed")} case ${c.bold(plan.case.id)} (${plan.case.split}) as ${commit.slice(0, 10)} on ${plan.branch}; evolve run and evolve tune judge the agent with it`);
    if (out.isJson) out.json({ interaction: id, committed: true, commit, file: plan.file, basis: plan.basis, case: plan.case });
  } catch (e) {
    fail(e);
  }
}
