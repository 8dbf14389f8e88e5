/**
 * `evolve tune`: prompt tuning and parameter search on the agent-level golden cases. Every variant
 * is A/B-tested against the tip; only a significant improvement is committed (tag gen-N, Evolve-AB
 * trailer). Model answers are kept in a response cache under .git/evolve/, so re-measuring an
 * unchanged prompt with unchanged parameters costs no model time, in this run or the next.
 */
import { WorkspaceError } from "../../workspace/open.js";
import { abSummary } from "../../tuning/ab-test.js";
import type { TuneEvent } from "../../tuning/tune.js";
import { tuneWorkspace } from "../../tuning/session.js";
import { c, fail, output, EXIT, setExitCode } from "../output.js";
import { providerFlags } from "./ask.js";
import { workspaceFromFlag } from "./workspace-flag.js";
import { lockedCommand } from "./lock.js";

export interface TuneFlags {
  workspace?: string;
  provider?: string;
  model?: string;
  baseUrl?: string;
  threads?: number;
  rounds?: number;
  repeats?: number;
  alpha?: number;
  json?: boolean;
  wait?: boolean | string;
}

/** One line per tune event for the terminal (`evolve tune` and the tuning phase of `evolve run`). */
export function tuneEventLine(e: TuneEvent): string {
  switch (e.type) {
    case "base":
      return `round ${e.round}: tip scores ${e.score} (${e.passed}/${e.total} pass); ${e.variants} variant(s) for gen ${e.generation}`;
    case "variant": {
      const score = e.score === null ? "-" : String(e.score);
      const mark = e.accepted ? c.green("significant") : c.dim("rejected");
      return `  ${mark} ${e.variant.operator}: ${e.variant.description} -> ${score}; ${e.reason}`;
    }
    case "generation":
      return c.green(`gen ${e.generation} ${e.tag} ${e.commit.slice(0, 10)}: ${e.parentScore} -> ${e.score} (${e.variant.action}: ${e.variant.description}; AB ${JSON.stringify(abSummary(e.ab))})`);
  }
}

/** Holds the workspace lock for the whole command (see lockedCommand). */
export async function tuneCommand(flags: TuneFlags): Promise<void> {
  await lockedCommand("evolve tune", flags, () => tuneUnlocked(flags));
}

async function tuneUnlocked(flags: TuneFlags): Promise<void> {
  const out = output(flags.json === true);
  let root: string;
  try {
    root = workspaceFromFlag(flags.workspace);
  } catch (err) {
    fail(err);
    return;
  }
  if (flags.alpha !== undefined && !(flags.alpha > 0 && flags.alpha < 1)) {
    fail(new WorkspaceError(`--alpha: expected a number between 0 and 1, got ${flags.alpha}`, "usage", { flag: "--alpha", value: flags.alpha }));
    return;
  }
  try {
    const { report, stats } = await tuneWorkspace(root, {
      flags: providerFlags(flags),
      ...(flags.rounds !== undefined ? { rounds: flags.rounds } : {}),
      ...(flags.repeats !== undefined ? { repeats: flags.repeats } : {}),
      ...(flags.alpha !== undefined ? { alpha: flags.alpha } : {}),
      onStart: (line) => out.say(line),
      onEvent: (e) => out.say(tuneEventLine(e)),
    });
    const calls = stats.hits + stats.misses;
    out.say(`${report.stopReason}. Score ${report.initialScore} -> ${report.finalScore}; ${report.generations.length} generation(s) committed, ${report.rejected} variant(s) rejected (evolve attempts).`);
    out.say(`response cache: ${stats.hits} hit(s), ${stats.misses} miss(es), ${stats.bypassed} uncacheable${calls ? ` (hit rate ${(stats.hits / calls).toFixed(2)})` : ""}`);
    if (out.isJson) out.json({ ...report, cache: stats });
    setExitCode(EXIT.ok);
  } catch (err) {
    fail(err);
  }
}
