/**
 * `evolve tag NAME [--repeats N]`: tag a commit known-good after re-running the golden suite N
 * times with the cache bypassed. Exit 1 when the check refuses (a mustPass case fails, results
 * differ between runs, the tree does not build); 2 for bad input (name, existing tag, ref).
 */
import { openWorkspace } from "../../workspace/open.js";
import { checkNewTagName, KnownGoodRefusal, tagKnownGood } from "../../history/known-good.js";
import type { StabilityReport } from "../../history/known-good.js";
import { c, EXIT, fixed, output, setExitCode } from "../output.js";
import { resolveUserRef } from "./ref-arg.js";
import { workspaceFromFlag } from "./workspace-flag.js";
import { lockedCommand } from "./lock.js";

export interface TagFlags {
  workspace?: string;
  repeats?: number;
  ref?: string;
  json?: boolean;
  wait?: boolean | string;
}

/** Holds the workspace lock for the whole command, the stability runs included (see lockedCommand). */
export async function tagCommand(name: string, flags: TagFlags): Promise<void> {
  await lockedCommand("evolve tag", flags, () => tagUnlocked(name, flags));
}

async function tagUnlocked(name: string, flags: TagFlags): Promise<void> {
  const out = output(flags.json === true);
  const root = workspaceFromFlag(flags.workspace);
  const ref = flags.ref ?? "HEAD";
  await checkNewTagName(root, name);
  await resolveUserRef(root, ref, "--ref");
  const repeats = flags.repeats ?? (await openWorkspace(root, ref)).config.history.tagRepeats;
  out.say(`Checking ${ref}: ${repeats} run${repeats === 1 ? "" : "s"} of the golden suite, cache bypassed...`);
  try {
    const t = await tagKnownGood(root, name, { ref, repeats });
    const m = t.report.measurement!;
    out.say(`Tagged ${t.report.commit.slice(0, 10)} as ${c.bold(name)}: score ${fixed(m.score)}${m.holdout === null ? "" : `, holdout ${fixed(m.holdout)}`}, ${m.passed}/${m.total} pass, identical in ${repeats} runs; every mustPass case passes.`);
    out.say(`Back to it any time: evolve reset --to ${name}`);
    if (out.isJson) out.json({ ok: true, tag: name, object: t.object, ...reportJson(t.report) });
  } catch (e) {
    if (!(e instanceof KnownGoodRefusal)) throw e;
    output(false).warn(`${c.red("refused:")} ${e.message}`);
    if (out.isJson) out.json({ ok: false, tag: name, problems: e.report.problems, ...reportJson(e.report) });
    setExitCode(EXIT.failed);
  }
}

function reportJson(r: StabilityReport): Record<string, unknown> {
  const m = r.measurement;
  return {
    commit: r.commit,
    tree: r.tree,
    suiteHash: r.suiteHash,
    repeats: r.repeats,
    score: m?.score ?? null,
    holdout: m?.holdout ?? null,
    passed: m?.passed ?? null,
    total: m?.total ?? null,
    mustPassFailed: r.mustPassFailed,
    flaky: r.flaky,
    buildError: r.buildError,
  };
}
