/**
 * `evolve attempts [--gen N] [--base REF] [--diff] [--json]`: the rejected candidates, read from the
 * git notes under refs/notes/evolve-attempts (native: `git notes --ref=evolve-attempts show gen-3`).
 * `--prune` applies the config's retention (history.attemptsRetention, history.attemptsPerBase) now.
 */
import { openWorkspace } from "../../workspace/open.js";
import { ATTEMPTS_REF, readAttempts } from "../../ledger/index.js";
import { pruneAttempts } from "../../ledger/attempts.js";
import type { AttemptRecord } from "../../ledger/index.js";
import { c, fixed, output, table } from "../output.js";
import { resolveUserRef } from "./ref-arg.js";
import { workspaceFromFlag } from "./workspace-flag.js";
import { lockedCommand } from "./lock.js";

export interface AttemptsFlags {
  workspace?: string;
  gen?: number;
  base?: string;
  diff?: boolean;
  prune?: boolean;
  json?: boolean;
  wait?: boolean | string;
}

/** Listing reads only; --prune rewrites the notes ref, so it holds the workspace lock (see lockedCommand). */
export async function attemptsCommand(flags: AttemptsFlags): Promise<void> {
  if (flags.prune === true) return lockedCommand("evolve attempts --prune", flags, () => attemptsUnlocked(flags));
  return attemptsUnlocked(flags);
}

async function attemptsUnlocked(flags: AttemptsFlags): Promise<void> {
  const out = output(flags.json === true);
  const root = workspaceFromFlag(flags.workspace);
  if (flags.prune === true) {
    const { history } = (await openWorkspace(root)).config;
    const r = await pruneAttempts(root, { bases: history.attemptsRetention, perBase: history.attemptsPerBase });
    out.say(
      r.commit === null
        ? `Nothing to prune: ${r.keptBases} base commit${r.keptBases === 1 ? "" : "s"} with attempts, within history.attemptsRetention ${history.attemptsRetention} and history.attemptsPerBase ${history.attemptsPerBase}.`
        : `Pruned ${ATTEMPTS_REF}: dropped ${r.droppedAttempts} attempt${r.droppedAttempts === 1 ? "" : "s"} (the notes of ${r.droppedBases.length} base commit${r.droppedBases.length === 1 ? "" : "s"}); ${r.keptBases} kept, in one parentless notes commit ${r.commit.slice(0, 10)}. \`git gc\` can now remove the rest.`,
    );
    if (out.isJson) out.json({ ref: ATTEMPTS_REF, ...r });
    return;
  }
  const base = flags.base === undefined ? undefined : await resolveUserRef(root, flags.base, "--base");
  let list = await readAttempts(root, base);
  if (flags.gen !== undefined) list = list.filter((a) => a.generation === flags.gen);
  if (out.isJson) {
    out.json({ ref: ATTEMPTS_REF, count: list.length, attempts: list.map((a) => (flags.diff === true ? a : withoutDiff(a))) });
    return;
  }
  if (list.length === 0) {
    out.say(`No rejected attempts${flags.gen === undefined ? "" : ` for generation ${flags.gen}`}${flags.base === undefined ? "" : ` on ${flags.base}`} in ${ATTEMPTS_REF}.`);
    return;
  }
  if (flags.diff === true) {
    for (const a of list) {
      out.say(c.bold(`gen ${a.generation} on ${a.base.slice(0, 10)}: ${a.operator || "(no operator)"}, score ${fixed(a.score)}, ${stageOf(a)}`));
      out.say(`  ${a.description}`);
      out.say(`  ${c.yellow(a.reason)}`);
      if (a.diff !== "") out.say(a.diff.trimEnd());
      out.say("");
    }
  } else {
    out.say(table([["gen", "base", "operator", "score", "stage", "reason"], ...list.map((a) => [String(a.generation), a.base.slice(0, 10), a.operator || "-", fixed(a.score), stageOf(a), a.reason])]));
  }
  out.say(c.dim(`${list.length} rejected attempt${list.length === 1 ? "" : "s"}; --diff for the diffs; native: git notes --ref=evolve-attempts list`));
}

function stageOf(a: AttemptRecord): string {
  const stage = a.metrics["stage"];
  return typeof stage === "string" ? stage : "-";
}

function withoutDiff(a: AttemptRecord): Omit<AttemptRecord, "diff"> {
  const { diff: _diff, ...rest } = a;
  return rest;
}
