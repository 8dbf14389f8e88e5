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
}

export interface RoundResult {
  tried: Tried[];
  /** Every source ran dry: nothing more can come from this base. */
  exhausted: boolean;
}

export async function evaluateRound(state: RunState, base: GateBase, sources: readonly CandidateSource[], tools: RoundTools): Promise<RoundResult> {
  const tried: Tried[] = [];
  const running = new Set<Promise<void>>();
  // The build under way, if any (a settled promise must not be raced: the wait would spin).
  const busy = new Set<Promise<void>>();
  let building: Promise<void> = Promise.resolve();
  let pending = 0; // reserved sandbox slots: building or running
  let used = 0; // this round's slots: evaluated or pending
  let exhausted = false;
  const proposed = new Map<Candidate, number>();
  const room = () => used < state.settings.perGeneration && state.counts.evaluated + pending < state.settings.budget;
  const finish = async (t: Tried): Promise<void> => {
    const judged = await approvalGate(t, base.config.safety.approvalAboveLines, state.settings);
    if (judged.stage === "approval") state.counts.refused.approval += 1;
    tried.push(judged);
    report(state, judged);
  };

  // The first build or sandbox run that threw (a crashed pool, an unreadable cache): the round
  // stops with it rather than waiting for a slot that will never be handed back.
  let failure: { error: unknown } | null = null;
  const check = (): void => {
    if (failure !== null) throw failure.error;
  };
  for (;;) {
    // At the budget's edge, wait for what is in flight: a failed build hands its slot back.
    while (!room() && pending > 0) {
      await Promise.race([...busy, ...running]);
      check();
    }
    check();
    if (!room()) break;
    const c = pull(state, sources);
    if (c !== null) proposed.set(c, proposed.size);
    if (c === null) {
      exhausted = sources.every((s) => s.exhausted());
      break;
    }
    const stopped = await gate(state, c, base, tools);
    if (stopped.stage !== "evaluate") {
      if (stopped.stage === "cache") await finish(stopped);
      else {
        tried.push(stopped);
        report(state, stopped);
      }
      continue;
    }
    pending += 1;
    used += 1;
    await building;
    building = (async () => {
      const t = performance.now();
      let built;
      try {
        built = await tools.evaluator.build(c.files);
      } catch (error) {
        pending -= 1;
        failure ??= { error };
        return;
      }
      state.stages.build += performance.now() - t;
      if (!built.ok) {
        pending -= 1;
        used -= 1;
        state.counts.refused.build += 1;
        const failed: Tried = { ...stopped, stage: "build", reason: `build: ${built.reason}` };
        tried.push(failed);
        report(state, failed);
        return;
      }
      while (running.size >= tools.workers) await Promise.race(running);
      const p: Promise<void> = (async () => {
        const t1 = performance.now();
        let measurement;
        try {
          ({ measurement } = await tools.evaluator.run(built.code));
        } finally {
          pending -= 1;
        }
        state.stages.evaluate += performance.now() - t1;
        state.counts.evaluated += 1;
        const verdict = keepPassing(judge(base.measurement, measurement, base.flags, base.config.improvement.threshold));
        tools.cache.set(stopped.tree, base.suiteHash, MODEL_NONE, measurement);
        await finish({ ...stopped, code: built.code, stage: "evaluate", measurement, verdict, reason: verdict.reason });
      })()
        .catch((error: unknown) => void (failure ??= { error }))
        .finally(() => running.delete(p));
      running.add(p);
    })();
    const b = building;
    busy.add(b);
    b.then(() => busy.delete(b), () => busy.delete(b));
  }
  await building;
  await Promise.all(running);
  check();
  // Back into proposal order: which sandbox run ends first (a local worker, a queue worker on
  // another machine) must not decide between equally ranked candidates or the attempts' order.
  tried.sort((a, b) => (proposed.get(a.candidate) ?? 0) - (proposed.get(b.candidate) ?? 0));
  state.held.push(...tried.filter((t) => t.stage === "approval"));
  return { tried, exhausted };
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
