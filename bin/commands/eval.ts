/**
 * `evolve eval [ref]`: measure one commit with the golden suite, print a per-case table and the score
 * that an `Evolve-Score` trailer records. With --bisect it answers `git bisect run` in exit codes:
 * 0 good, 1 bad, 125 skip (the tree cannot be measured).
 */
import { measureRef } from "../../history/measure-ref.js";
import { parsePredicate, evaluatePredicate } from "../../history/predicate.js";
import { c, fail, fixed, output, table, EXIT, setExitCode, exitCode } from "../output.js";
import { resolveUserRef } from "./ref-arg.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface EvalFlags {
  workspace?: string;
  json?: boolean;
  cache?: boolean;
  suiteRef?: string;
  bisect?: boolean;
  case?: string;
  metric?: string;
}

/** git bisect run's codes. */
export const BISECT = { good: 0, bad: 1, skip: 125 } as const;

export async function evalCommand(ref: string | undefined, flags: EvalFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const root = workspaceFromFlag(flags.workspace);
    const predicate = flags.bisect === true ? parsePredicate({ caseId: flags.case, metric: flags.metric }) : null;
    await resolveUserRef(root, ref ?? "HEAD");
    if (flags.suiteRef !== undefined) await resolveUserRef(root, flags.suiteRef, "--suite-ref");
    const m = await measureRef(root, ref ?? "HEAD", { suiteRef: flags.suiteRef, cache: flags.cache !== false, requireCase: predicate?.kind === "case" ? predicate.caseId : undefined });
    // A malformed config or golden file is the user's input refused (exit 2); only `git bisect run`
    // wants it as "cannot measure this commit" (125).
    if (!m.ok && predicate === null && m.error !== undefined) throw m.error;
    if (!m.ok) {
      out.say(`${c.yellow("cannot measure")} ${m.commit}: ${m.reason}`);
      if (out.isJson) out.json({ ref: ref ?? "HEAD", commit: m.commit, ok: false, stage: m.stage, reason: m.reason });
      setExitCode(predicate !== null ? BISECT.skip : EXIT.failed);
      return;
    }
    const r = m.measurement;
    const splitOf = new Map(m.suite.cases.map((x) => [x.id, x.split]));
    const rows = r.results.map((x) => [x.pass ? c.green("pass") : c.red("FAIL"), x.id, splitOf.get(x.id) ?? "", x.score.toFixed(2), x.pass ? "" : x.reason]);
    out.say(table([["", "case", "split", "score", "why"], ...rows]));
    out.say(`${m.commit.slice(0, 10)}: score ${c.bold(String(r.score))}${r.holdout === null ? "" : `, holdout ${fixed(r.holdout)}`}; ${r.passed}/${r.total} pass${m.cached ? " (cached)" : ""}`);
    let verdict: boolean | null = null;
    if (predicate !== null) {
      verdict = evaluatePredicate(predicate, r);
      out.say(`bisect: ${predicate.text} is ${verdict ? c.green("good") : c.red("bad")} here`);
      setExitCode(verdict ? BISECT.good : BISECT.bad);
    }
    if (out.isJson) {
      out.json({
        ref: ref ?? "HEAD",
        commit: m.commit,
        tree: m.tree,
        ok: true,
        score: r.score,
        holdout: r.holdout,
        passed: r.passed,
        failed: r.failed,
        total: r.total,
        mustPassFailed: r.mustPassFailed,
        suiteHash: m.suiteHash,
        cached: m.cached,
        ...(predicate === null ? {} : { bisect: verdict ? "good" : "bad" }),
        cases: r.results,
      });
    }
  } catch (e) {
    fail(e);
    if (flags.bisect === true && exitCode() === EXIT.failed) setExitCode(BISECT.skip);
  }
}
