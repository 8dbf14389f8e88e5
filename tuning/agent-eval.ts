/**
 * Agent-level evaluation: every agent case of the suite goes through the real runtime (model in the
 * host, tools in the sandbox) and its answer is checked by the ordinary assertions in the host. The
 * provider is wrapped in the response cache, so re-evaluating an unchanged prompt with unchanged
 * parameters costs no model time. Sampling is made reproducible: at temperature 0 one run per case is
 * enough; above it each repeat r runs with seed (params.seed ?? 0) + r, so repeats differ from each
 * other yet the same repeat of the same case is the same sample under both variants of an A/B test.
 */
import type { EvolveConfig } from "../workspace/config.js";
import type { FileMap } from "../kernel/files.js";
import { cached, type ResponseCache } from "../agent/llm/cache.js";
import type { Provider } from "../agent/llm/provider.js";
import { prepareAgent, runAgent } from "../agent/runtime/run.js";
import type { Sandbox } from "../sandbox/pool.js";
import { agentCasesOf, agentOutcome, agentSuite, asGoldenCase } from "../golden-tests/agent-cases.js";
import { checkCase, createCustomAssertionRunner, scoreSuite, type GoldenSuite } from "../golden-tests/index.js";
import type { CaseScore } from "./ab-test.js";
import type { Measurement } from "../golden-tests/evaluate.js";

/** One case at one repeat. */
export interface AgentCaseRun extends CaseScore {
  pass: boolean;
  reason: string;
  /** Seed used for this run (absent at temperature 0 without a seed). */
  seed?: number;
  answer: string | null;
  tokens: { prompt: number; completion: number };
  /** Model time (the original generation's, when the answer came from the cache). */
  modelMs: number;
  /** Wall time of this run, cache hits included. */
  ms: number;
  /** Model calls answered from the response cache / made afresh. */
  cacheHits: number;
  cacheMisses: number;
}

export interface AgentEvaluation {
  /** Mean over repeats of the weighted train score; holdout likewise (null without holdout cases). */
  score: number;
  holdout: number | null;
  /** Counts over case-repeats. */
  passed: number;
  failed: number;
  total: number;
  repeats: number;
  runs: AgentCaseRun[];
  tokens: { prompt: number; completion: number };
  modelMs: number;
  ms: number;
  cacheHits: number;
  cacheMisses: number;
}

export interface AgentEvalOptions {
  files: FileMap;
  config: Pick<EvolveConfig, "agent" | "sandbox">;
  suite: GoldenSuite;
  /** The raw provider: it is wrapped in `cache` here. */
  provider: Provider;
  cache: ResponseCache;
  sandbox: Sandbox;
  /** Runs per case when sampling is stochastic (temperature > 0); default 3. Ignored at temperature 0. */
  repeats?: number;
  /** Called after each case run (progress). */
  onRun?: (run: AgentCaseRun) => void;
}

/** Runs every agent-level case (times the repeats) and scores the answers. */
export async function evaluateAgent(o: AgentEvalOptions): Promise<AgentEvaluation> {
  const t0 = performance.now();
  const cases = agentCasesOf(o.suite);
  if (cases.length === 0) throw new Error("evaluateAgent: the suite has no agent-level cases (cases with `agent: { request: ... }`)");
  const agent = await prepareAgent(o.files, o.config);
  const stochastic = agent.params.temperature > 0;
  const repeats = stochastic ? (o.repeats ?? 3) : 1;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`evaluateAgent: repeats must be a whole number >= 1, got ${repeats}`);
  const provider = cached(o.provider, o.cache);
  const scoring = agentSuite(o.suite);
  const runner = createCustomAssertionRunner(scoring);
  const runs: AgentCaseRun[] = [];
  const perRepeat: { score: number; holdout: number | null }[] = [];

  for (let r = 0; r < repeats; r++) {
    const seed = stochastic ? (agent.params.seed ?? 0) + r : agent.params.seed;
    const runAgentWith = seed === undefined ? agent : { ...agent, params: { ...agent.params, seed } };
    const results = [];
    for (const c of cases) {
      const hits = o.cache.stats.hits;
      const misses = o.cache.stats.misses + o.cache.stats.bypassed;
      const start = performance.now();
      const result = await runAgent({ agent: runAgentWith, provider, sandbox: o.sandbox, request: c.agent.request, ...(c.agent.context !== undefined ? { context: c.agent.context } : {}) });
      const ms = performance.now() - start;
      const checked = await checkCase(asGoldenCase(c), agentOutcome(c.id, result, ms), runner);
      results.push(checked);
      const run: AgentCaseRun = {
        id: c.id,
        repeat: r,
        score: checked.score,
        pass: checked.pass,
        reason: checked.reason,
        ...(seed !== undefined ? { seed } : {}),
        answer: result.answer,
        tokens: result.tokens,
        modelMs: result.modelMs,
        ms,
        cacheHits: o.cache.stats.hits - hits,
        cacheMisses: o.cache.stats.misses + o.cache.stats.bypassed - misses,
      };
      runs.push(run);
      o.onRun?.(run);
    }
    const s = scoreSuite(scoring, results);
    perRepeat.push({ score: s.score, holdout: s.holdout });
  }
  const mean = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e6) / 1e6;
  const holdouts = perRepeat.map((p) => p.holdout).filter((h): h is number => h !== null);
  const passed = runs.filter((x) => x.pass).length;
  return {
    score: mean(perRepeat.map((p) => p.score)),
    holdout: holdouts.length ? mean(holdouts) : null,
    passed,
    failed: runs.length - passed,
    total: runs.length,
    repeats,
    runs,
    tokens: runs.reduce((t, x) => ({ prompt: t.prompt + x.tokens.prompt, completion: t.completion + x.tokens.completion }), { prompt: 0, completion: 0 }),
    modelMs: runs.reduce((t, x) => t + x.modelMs, 0),
    ms: performance.now() - t0,
    cacheHits: runs.reduce((t, x) => t + x.cacheHits, 0),
    cacheMisses: runs.reduce((t, x) => t + x.cacheMisses, 0),
  };
}

/** An agent evaluation in the shape generation records and attempts use; with repeats, results are labelled `id#repeat`. */
export function agentMeasurement(e: AgentEvaluation, mustPass: ReadonlySet<string> = new Set()): Measurement {
  const label = (x: AgentCaseRun): string => (e.repeats > 1 ? `${x.id}#${x.repeat}` : x.id);
  return {
    score: e.score,
    holdout: e.holdout,
    passed: e.passed,
    failed: e.failed,
    total: e.total,
    mustPassFailed: [...new Set(e.runs.filter((x) => !x.pass && mustPass.has(x.id)).map((x) => x.id))],
    results: e.runs.map((x) => ({ id: label(x), pass: x.pass, score: x.score, reason: x.reason })),
    evalMs: Math.round(e.ms * 100) / 100,
  };
}
