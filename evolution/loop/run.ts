/**
 * One run of the evolution loop, top to bottom. Each generation: plan a round (reflect, localise,
 * enumerate) -> evaluate it (gates, builds, sandbox) -> select the winner (rank, stability
 * re-check, approval) -> commit it. The stages live beside this file; the resources (sandbox,
 * caches, model) come in as parameters, built and closed by the caller (see context.ts).
 */
import { isEvolvable } from "../../workspace/config.js";
import { createEvaluator } from "../../golden-tests/evaluate.js";
import { createRng } from "../rng.js";
import { startTypeCheckThread } from "../typecheck-thread.js";
import type { RunResources } from "./context.js";
import { measureBase } from "./base.js";
import type { OpenedRun } from "./open.js";
import { analysisProgram, planRound } from "./plan.js";
import { evaluateRound } from "./scheduler.js";
import type { GateBase } from "./gates.js";
import { recordLosers, selectWinner } from "./select.js";
import { commitWinner, refuseInterference } from "./commit.js";
import type { CandidateSource } from "./sources.js";
import { afterDeadEnd, archiveNeutral, atDeadEnd, deadEndReason, searchOn } from "./detour.js";
import { gateBase, heldSourceFor, llmSourceFor, newRunState, pastTries, recordUnusable, stopCheck, summarise } from "./run-parts.js";
import type { RunOptions, RunSummary } from "./types.js";
import type { Situation } from "../../memory/situation.js";
import { roundOutcomes } from "../memory-hook.js";

export async function runLoop(opened: OpenedRun, res: RunResources, options: Pick<RunOptions, "onEvent" | "memory" | "stopRequested"> = {}): Promise<RunSummary> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const stopRequested = options.stopRequested ?? (() => false);
  // The type-check thread's cold start (about a second) overlaps measuring the tip and localising.
  const threadStarting = startTypeCheckThread(opened.ws.files);
  threadStarting.catch(() => {});
  let thread: { tree: string; check: Awaited<typeof threadStarting> } | null = null;
  try {
    const measured = await measureBase(opened, res, emit);
    const state = newRunState(opened, measured, await pastTries(opened.root, measured.log), emit, started);
    const { config } = state.ws;
    const evolvable = (p: string) => isEvolvable(config, p);
    const evaluator = createEvaluator(state.ws.suite, res.sandbox, config.sandbox);
    const rng = createRng(state.settings.seed);
    const baseProgram = analysisProgram(state);
    const llm = llmSourceFor(state, res, evolvable);
    let operators: CandidateSource | null = null;
    // Candidates held by earlier runs, offered again first when the person approved large changes up front.
    const held = await heldSourceFor(state);
    emit({ type: "start", workspace: state.root, branch: state.branch, generation: state.generation - 1, score: state.base.score, holdout: state.base.holdout, passed: state.base.passed, total: state.base.total, budget: state.settings.budget, perGeneration: state.settings.perGeneration, generations: state.settings.generations });

    let situation: Situation | null = null;
    // The search policy's state for the current tip: its ordered edits, whether the focused pairs
    // were offered, the neutral variants archived and searched from (detour.ts).
    let search = searchOn(state.ws.commit, []);
    while ((state.stop = stopCheck(state, stopRequested)) === null) {
      await refuseInterference(state);
      state.rounds += 1;
      // 1. Plan: on a new base, or when it is time to reflect again, rebuild the ordered stream.
      if (operators === null || (state.rounds > 1 && (state.rounds - 1) % config.reflection.interval === 0 && !atDeadEnd(search))) {
        const plan = await planRound(state, evaluator, { evolvable, program: baseProgram, rng, memory: options.memory });
        operators = plan.operators;
        situation = plan.situation;
        if (plan.ordered !== undefined) search = searchOn(state.ws.commit, plan.ordered, search);
      }
      // 2. Evaluate: a model's batch first, then the operators' stream, through the gates and the sandbox.
      thread ??= { tree: opened.ws.tree, check: await threadStarting };
      if (thread.tree !== state.ws.tree) await thread.check.rebase(state.ws.files);
      thread.tree = state.ws.tree;
      const sources = [held, llm, operators].filter((s): s is CandidateSource => s !== null);
      const t0 = performance.now();
      for (const s of sources) await s.prepare?.({ generation: state.generation, round: state.rounds, base: state.ws.commit });
      state.stages.propose += performance.now() - t0;
      await recordUnusable(state, sources);
      const round = await evaluateRound(state, gateBase(state, evolvable), sources, { evaluator, checker: thread.check, cache: res.cache, workers: config.sandbox.workers, stopRequested });
      // Persist the round's evaluations now: a run killed later in the round resumes with them cached.
      await res.cache.flush();
      // 3. Select: the best accepted candidate that holds up on re-checking (none once asked to stop:
      // the re-check costs time, and the evaluations are cached for the next run).
      const winner = stopRequested() ? null : await selectWinner(state, round.tried, evaluator);
      await recordLosers(state, round.tried, winner);
      options.memory?.record(roundOutcomes(situation, round.tried, winner));
      archiveNeutral(search, round.tried, state.base);
      // 4. Commit, or at a dead end search on (focused pairs, then neutral variants), or stop.
      if (winner !== null) {
        await commitWinner(state, winner, round.tried.length, res.modelId);
        operators = null;
      } else if (round.exhausted && llm === null) {
        const next = state.settings.proposer === "llm" || stopRequested() ? null : await afterDeadEnd(state, search, { evaluator, evolvable, program: baseProgram, rng });
        if (next === null) {
          state.stop = { cause: "exhausted", reason: deadEndReason(search) };
          break;
        }
        operators = next;
      }
    }
    await res.cache.flush();
    emit({ type: "stop", reason: state.stop.reason, cause: state.stop.cause });
    return summarise(state, res.cache);
  } finally {
    await (thread?.check ?? (await threadStarting.catch(() => null)))?.close();
  }
}
