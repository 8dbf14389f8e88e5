/**
 * Measuring any commit of a workspace's history, the way `evolve run` measured it when it committed
 * it: same suite loading, same sandbox, same scoring, same cache key (tree, suite hash, model).
 */
import { EvolveError, isEvolveError } from "../kernel/errors.js";
import { openWorkspace } from "../workspace/open.js";
import { loadSuite } from "../golden-tests/index.js";
import { createSandbox } from "../sandbox/pool.js";
import { openEvalCache, readCommitFiles } from "../ledger/index.js";
import { createEvaluator } from "../golden-tests/evaluate.js";
import { missingToolRefusal } from "../golden-tests/missing-tools.js";
import type { Measurement } from "../golden-tests/evaluate.js";
import type { GoldenSuite } from "../golden-tests/index.js";

export type RefMeasurement =
  | { ok: true; commit: string; tree: string; suiteHash: string; cached: boolean; measurement: Measurement; suite: GoldenSuite }
  /** The tree could not be measured at all (bad config or suite, or it does not build): bisect skips it. */
  | { ok: false; commit: string; stage: "load" | "build"; reason: string; /** For "load": the refusal itself (its file, line and field), for callers that refuse rather than skip. */ error?: EvolveError };

export interface MeasureOptions {
  /** Take golden tests from this ref instead of the measured one (e.g. today's suite on an old tree). */
  suiteRef?: string;
  /** Read and fill the evaluation cache (default true); false neither reads nor writes it. */
  cache?: boolean;
  /**
   * A case the caller is about to judge by (`eval --bisect --case ID`): refused (`not-found`)
   * before anything is measured or cached when the suite has no such case.
   */
  requireCase?: string;
}

export async function measureRef(root: string, ref: string, options: MeasureOptions = {}): Promise<RefMeasurement> {
  let commit = ref;
  try {
    const ws = await openWorkspace(root, ref);
    commit = ws.commit;
    const suite = options.suiteRef === undefined ? ws.suite : loadSuite((await readCommitFiles(root, options.suiteRef)).files);
    if (options.requireCase !== undefined && !suite.cases.some((c) => c.id === options.requireCase)) {
      throw new EvolveError("not-found", `case "${options.requireCase}" is not in the golden suite at ${options.suiteRef ?? ref}; known cases: ${suite.cases.map((c) => c.id).join(", ")}`, { what: "case", id: options.requireCase });
    }
    // Without the cache nothing is read from it or written to it (`eval --no-cache` leaves it as it was).
    const cache = options.cache === false ? null : await openEvalCache(root);
    const model = "none";
    const hit = cache?.get(ws.tree, suite.hash, model) as Measurement | undefined;
    if (hit !== undefined) return { ok: true, commit, tree: ws.tree, suiteHash: suite.hash, cached: true, measurement: hit, suite };
    const sandbox = createSandbox({ workers: 1, timeoutMs: ws.config.sandbox.timeoutMs, memoryMb: ws.config.sandbox.memoryMb });
    try {
      const evaluator = createEvaluator(suite, sandbox, ws.config.sandbox);
      const built = await evaluator.build(ws.files);
      if (!built.ok) return { ok: false, commit, stage: "build", reason: built.reason };
      const { measurement, outcomes } = await evaluator.run(built.code);
      // A case naming a tool this tree does not export is refused; under another commit's suite
      // (--suite-ref) a missing tool is what history looked like, and just fails its case.
      const refusal = options.suiteRef === undefined ? missingToolRefusal(suite, outcomes) : null;
      if (refusal !== null) return { ok: false, commit, stage: "load", reason: refusal.message, error: refusal };
      cache?.set(ws.tree, suite.hash, model, measurement);
      await cache?.flush();
      return { ok: true, commit, tree: ws.tree, suiteHash: suite.hash, cached: false, measurement, suite };
    } finally {
      await sandbox.destroy();
    }
  } catch (e) {
    // A commit whose config or golden suite is malformed or missing cannot be measured (bisect
    // skips it); an unknown revision or a broken repository is the caller's problem.
    if (isEvolveError(e, "input-file", "workspace")) return { ok: false, commit, stage: "load", reason: e.message, error: e };
    throw e;
  }
}
