/**
 * The confirm step `evolve promote` and `evolve cases record` share: the planned case is shown, then
 * committed only after a yes or --yes. Without a terminal the answer is read from stdin; no answer
 * at all is a refusal, so a script that forgot --yes never commits by accident.
 */
import { createInterface } from "node:readline";
import { EvolveError } from "../../kernel/errors.js";
import type { CaseFilePlan } from "../../history/case-commit.js";
import { c, EXIT, output, setExitCode, type Out } from "../output.js";

/** The first line of stdin as an answer; null at end of input. */
async function ask(question: string): Promise<string | null> {
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line.trim();
    // End the question's line, so that the refusal that follows starts a line of its own.
    output(false).warn("");
    return null;
  } finally {
    rl.close();
  }
}

export interface Confirmation {
  /** The command, as the no-answer refusal names it. */
  command: string;
  /** What --json prints when the answer is no. */
  declined: Record<string, unknown>;
}

/** Shows the case and asks; false, after saying so and setting the failed exit code, on a no. */
export async function confirmCase(out: Out, plan: CaseFilePlan<unknown>, yes: boolean | undefined, confirmation: Confirmation): Promise<boolean> {
  out.say(`${plan.created ? "new file" : "append to"} ${c.bold(plan.file)}:`);
  out.say(plan.yaml.trimEnd());
  if (yes === true) return true;
  const answer = await ask(`commit this case to ${plan.file}? [y/N] `);
  if (answer === null) throw new EvolveError("usage", `${confirmation.command} asks before it commits and got no answer: pass --yes to commit without asking`);
  if (/^y(es)?$/i.test(answer)) return true;
  out.say("not committed; nothing was changed");
  if (out.isJson) out.json(confirmation.declined);
  setExitCode(EXIT.failed);
  return false;
}
