/**
 * Stage 4, evaluate a round: pull candidates from the round's sources in order, pass each through
 * the gates, and keep esbuild and the sandbox busy at once: one build at a time (esbuild runs in
 * its own process while this thread type-checks the next candidate), its bundle handed to a free
 * sandbox worker. The budget is exact: a build is started only while the sandbox evaluations done
 * and in flight stay below it, and a failed build gives its slot back. Refusals and cache hits use
 * no slot; they are counted apart.
 */
import type { Evaluator } from "../../golden-tests/evaluate.js";
import type { EvalCache } from "../../ledger/index.js";
import type { Candidate } from "../candidates.js";
import { judge } from "../judge.js";
import { keepPassing } from "../search-policy.js";
import type { ThreadedTypeChecker } from "../typecheck-thread.js";
import { MODEL_NONE } from "./context.js";
import { approvalGate, cacheGate, diffOf, safetyGate, treeOf, typecheckGate } from "./gates.js";
import type { GateBase } from "./gates.js";
import type { CandidateSource } from "./sources.js";
import { totalRefused } from "./state.js";
import type { RunState, Tried } from "./state.js";

export interface RoundTools {
  evaluator: Evaluator;
  checker: ThreadedTypeChecker;
  cache: EvalCache;
  /** Sandbox evaluations that may run at once (the pool's workers). */
  workers: number;
  /** Once true, no further candidate is started (see RunOptions.stopRequested). */
  stopRequested?: () => boolean;
}

export interface RoundResult {
  tried: Tried[];
  /** Every source ran dry: nothing more can come from this base. */
  exhausted: boolean;
}

/** One round's bookkeeping: slots in use, what is in flight, and what was tried so far. */
interface Round {
  readonly state: RunState;
  readonly base: GateBase;
  readonly tools: RoundTools;
  readonly tried: Tried[];
  /** Sandbox runs in flight. */
  readonly running: Set<Promise<void>>;
  /** The build under way, if any (a settled promise must not be raced: the wait would spin). */
  readonly busy: Set<Promise<void>>;
  building: Promise<void>;
  /** Reserved sandbox slots: building or running. */
  pending: number;
  /** This round's slots: evaluated or pending. */
  used: number;
  /**
   * The first build or sandbox run that threw (a crashed pool, an unwritable cache): the round stops
   * with it rather than waiting for a slot that will never be handed back.
   */
  failure: { error: unknown } | null;
}

export async function evaluateRound(state: RunState, base: GateBase, sources: readonly CandidateSource[], tools: RoundTools): Promise<RoundResult> {
  const r: Round = { state, base, tools, tried: [], running: new Set(), busy: new Set(), building: Promise.resolve(), pending: 0, used: 0, failure: null };
  const room = () => r.used < state.settings.perGeneration && state.counts.evaluated + r.pending < state.settings.budget && tools.stopRequested?.() !== true;
  const proposed = new Map<Candidate, number>();
  let exhausted = false;
  for (;;) {
    // At the budget's edge, wait for what is in flight: a failed build hands its slot back.
    while (!room() && r.pending > 0) {
      await Promise.race([...r.busy, ...r.running]);
      rethrow(r);
    }
    rethrow(r);
    if (!room()) break;
    const c = pull(state, sources);
    if (c === null) {
      exhausted = sources.every((s) => s.exhausted());
      break;
    }
    proposed.set(c, proposed.size);
    const stopped = await gate(state, c, base, tools);
    if (stopped.stage !== "evaluate") {
      if (stopped.stage === "cache") await finish(r, stopped);
      else {
        r.tried.push(stopped);
        report(state, stopped);
      }
      continue;
    }
    r.pending += 1;
    r.used += 1;
    await r.building;
    const b = buildAndRun(r, c, stopped);
    r.building = b;
    r.busy.add(b);
    b.then(() => r.busy.delete(b), () => r.busy.delete(b));
  }
  await r.building;
  await Promise.all(r.running);
  rethrow(r);
  // Back into proposal order: which sandbox run ends first (a local worker, a queue worker on
  // another machine) must not decide between equally ranked candidates or the attempts' order.
  r.tried.sort((a, b) => (proposed.get(a.candidate) ?? 0) - (proposed.get(b.candidate) ?? 0));
  state.held.push(...r.tried.filter((t) => t.stage === "approval"));
  return { tried: r.tried, exhausted };
}

function rethrow(r: Round): void {
  if (r.failure !== null) throw r.failure.error;
}

/** The approval gate, then the candidate counts as tried. */
async function finish(r: Round, t: Tried): Promise<void> {
  const judged = await approvalGate(t, r.base.config.safety.approvalAboveLines, r.state.settings);
  if (judged.stage === "approval") r.state.counts.refused.approval += 1;
  r.tried.push(judged);
  report(r.state, judged);
}

/**
 * Builds the candidate (one build at a time) and hands the bundle to a free sandbox worker; resolves
 * once the run has started, so the next build can begin while this one is evaluated.
 */
async function buildAndRun(r: Round, c: Candidate, stopped: Tried): Promise<void> {
  const { state, tools } = r;
  const t = performance.now();
  let built;
  try {
    built = await tools.evaluator.build(c.files);
  } catch (error) {
    r.pending -= 1;
    r.failure ??= { error };
    return;
  }
  state.stages.build += performance.now() - t;
  if (!built.ok) {
    r.pending -= 1;
    r.used -= 1;
    state.counts.refused.build += 1;
    const failed: Tried = { ...stopped, stage: "build", reason: `build: ${built.reason}` };
    r.tried.push(failed);
    report(state, failed);
    return;
  }
  while (r.running.size >= tools.workers) await Promise.race(r.running);
  const p: Promise<void> = evaluateBuilt(r, stopped, built.code)
    .catch((error: unknown) => void (r.failure ??= { error }))
    .finally(() => r.running.delete(p));
  r.running.add(p);
}

/** One sandbox run of a built candidate, judged against the base and cached. */
async function evaluateBuilt(r: Round, stopped: Tried, code: string): Promise<void> {
  const { state, base, tools } = r;
  const t = performance.now();
  let measurement;
  try {
    ({ measurement } = await tools.evaluator.run(code));
  } finally {
    r.pending -= 1;
  }
  state.stages.evaluate += performance.now() - t;
  state.counts.evaluated += 1;
  const verdict = keepPassing(judge(base.measurement, measurement, base.flags, base.config.improvement.threshold));
  tools.cache.set(stopped.tree, base.suiteHash, MODEL_NONE, measurement);
  await finish(r, { ...stopped, code, stage: "evaluate", measurement, verdict, reason: verdict.reason });
}

/** The next candidate of the round: the first source with one left (applying edits is timed as "apply"). */
function pull(state: RunState, sources: readonly CandidateSource[]): Candidate | null {
  const t = performance.now();
  try {
    for (const s of sources) {
      const c = s.next();
      if (c !== null) return c;
    }
    return null;
  } finally {
    state.stages.apply += performance.now() - t;
  }
}

/** Safety, cache and type-check gates; stage "evaluate" means it goes on to build and sandbox. */
async function gate(state: RunState, c: Candidate, base: GateBase, tools: RoundTools): Promise<Tried> {
  const diff = diffOf(c, base);
  const unsafe = safetyGate(c, base, diff);
  if (unsafe !== null) {
    state.counts.refused.safety += 1;
    return unsafe;
  }
  const tree = await treeOf(c, base);
  const cached = cacheGate(c, tree, base, tools.cache, diff);
  if (cached !== null) {
    state.counts.fromCache += 1;
    return cached;
  }
  const t = performance.now();
  const illTyped = await typecheckGate(c, tree, tools.checker, diff);
  state.stages.typecheck += performance.now() - t;
  if (illTyped !== null) {
    state.counts.refused.typecheck += 1;
    return illTyped;
  }
  return { candidate: c, tree, stage: "evaluate", measurement: null, verdict: null, reason: "", diff };
}

function report(state: RunState, r: Tried): void {
  const seen = state.counts.evaluated + state.counts.fromCache + totalRefused(state.counts);
  state.emit({ type: "candidate", generation: state.generation, evaluated: seen, budget: state.settings.budget, stage: r.stage, accepted: r.verdict?.accept === true, reason: r.reason });
}
