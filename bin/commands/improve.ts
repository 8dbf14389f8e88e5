/**
 * `evolve improve`: one improvement cycle (evolution/improve.ts): the live check and revert, failure
 * clusters from recorded interactions, the reflection and plan, code generations and tuning under
 * the usual gates, and which interactions motivated which change. Holds the workspace lock.
 */
import { parseTimePoint } from "../../interactions/index.js";
import { improve } from "../../evolution/improve.js";
import { describeChange } from "../../evolution/improve-plan.js";
import { c, fail, output } from "../output.js";
import { providerFlags } from "./ask.js";
import { lockedCommand } from "./lock.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface ImproveFlags {
  workspace?: string;
  since?: string;
  generations?: number;
  budget?: number;
  tuneRounds?: number;
  repeats?: number;
  maxVariants?: number;
  provider?: string;
  model?: string;
  baseUrl?: string;
  threads?: number;
  json?: boolean;
  wait?: boolean | string;
}

export async function improveCommand(flags: ImproveFlags): Promise<void> {
  await lockedCommand("evolve improve", flags, () => improveUnlocked(flags));
}

async function improveUnlocked(flags: ImproveFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const root = workspaceFromFlag(flags.workspace);
    const since = flags.since === undefined ? undefined : parseTimePoint("--since", flags.since);
    const report = await improve({
      root,
      ...(since !== undefined ? { since } : {}),
      ...(flags.generations !== undefined ? { generations: flags.generations } : {}),
      ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
      ...(flags.tuneRounds !== undefined ? { tuneRounds: flags.tuneRounds } : {}),
      ...(flags.repeats !== undefined ? { repeats: flags.repeats } : {}),
      ...(flags.maxVariants !== undefined ? { maxVariants: flags.maxVariants } : {}),
      model: providerFlags(flags),
      say: (line) => out.say(line),
    });
    out.say(
      report.changes.length === 0
        ? `${c.bold("improve")}: nothing changed this cycle (recorded in ${report.recordedIn})`
        : `${c.bold("improve")}: ${report.changes.length} change(s), each with what motivated it:\n${report.changes.map((x) => `  ${c.green(describeChange(x))}`).join("\n")}\n(recorded in ${report.recordedIn})`,
    );
    if (out.isJson) out.json(report);
  } catch (e) {
    fail(e);
  }
}
