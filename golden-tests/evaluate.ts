/**
 * Measuring a tree: build it from memory, run every golden case in the sandbox, check the outputs in
 * the host. The one place where sandbox and golden tests meet.
 */
import type { FileMap } from "../kernel/files.js";
import { buildBundle } from "../sandbox/build.js";
import type { Sandbox, CaseCall, CaseOutcome } from "../sandbox/pool.js";
import { checkCase, scoreSuite, createCustomAssertionRunner } from "./index.js";
import type { GoldenSuite, SuiteScore, CaseResult } from "./index.js";

/**
 * What a measured tree records: enough to judge it, and to cache it. The suite's score without the
 * per-assertion detail (which is only needed while checking), plus how long the sandbox took.
 */
export interface Measurement extends Omit<SuiteScore, "results"> {
  results: Array<Pick<CaseResult, "id" | "pass" | "score" | "reason">>;
  /** Wall time of the sandbox run, ms. */
  evalMs: number;
}

export type Built = { ok: true; code: string; ms: number } | { ok: false; reason: string; ms: number };

export interface Evaluator {
  readonly suite: GoldenSuite;
  /** Bundle `files` from memory; refused imports and syntax errors come back as `ok: false`. */
  build(files: FileMap): Promise<Built>;
  /** Run every case of the suite on a built bundle and check the outputs in the host. */
  run(code: string, options?: { coverage?: boolean }): Promise<{ measurement: Measurement; outcomes: CaseOutcome[]; runMs: number; checkMs: number }>;
}

/** What building needs from the workspace config: the packages tools may import. */
export interface BuildSettings {
  allowImports: readonly string[];
  /** Globs of the tool modules (config sandbox.tools); default agent/tools/*.ts. */
  tools?: readonly string[];
}

export function createEvaluator(suite: GoldenSuite, sandbox: Sandbox, settings: BuildSettings): Evaluator {
  const calls: CaseCall[] = suite.cases.map((c) => ({ id: c.id, tool: c.tool, args: c.args, ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}) }));
  const byId = new Map(suite.cases.map((c) => [c.id, c]));
  const custom = createCustomAssertionRunner(suite);
  const buildOptions = { allowImports: [...settings.allowImports], ...(settings.tools !== undefined ? { toolGlobs: [...settings.tools] } : {}) };

  return {
    suite,
    async build(files) {
      const t0 = performance.now();
      const built = await buildBundle(files, buildOptions);
      const ms = performance.now() - t0;
      return built.ok ? { ok: true, code: built.code, ms } : { ok: false, reason: built.reason, ms };
    },
    async run(code, options = {}) {
      const t0 = performance.now();
      const outcomes = await sandbox.run(code, calls, { coverage: options.coverage === true });
      const runMs = performance.now() - t0;
      const t1 = performance.now();
      const results = await Promise.all(outcomes.map((o) => checkCase(byId.get(o.id)!, o, custom)));
      const scored = scoreSuite(suite, results);
      const checkMs = performance.now() - t1;
      return { measurement: toMeasurement(scored, runMs), outcomes, runMs, checkMs };
    },
  };
}

/** Build and run in one step; null when the tree does not build (the reason is returned instead). */
export async function measureFiles(evaluator: Evaluator, files: FileMap): Promise<{ ok: true; measurement: Measurement } | { ok: false; reason: string }> {
  const built = await evaluator.build(files);
  if (!built.ok) return { ok: false, reason: built.reason };
  const { measurement } = await evaluator.run(built.code);
  return { ok: true, measurement };
}

function toMeasurement(s: SuiteScore, evalMs: number): Measurement {
  return {
    score: s.score,
    holdout: s.holdout,
    passed: s.passed,
    failed: s.failed,
    total: s.total,
    mustPassFailed: s.mustPassFailed,
    results: s.results.map((r) => ({ id: r.id, pass: r.pass, score: r.score, reason: r.reason })),
    evalMs: Math.round(evalMs * 100) / 100,
  };
}
