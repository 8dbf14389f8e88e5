/**
 * The one place the watcher calls the evolution loop: an improvement cycle is `runEvolution` on the
 * workspace, under its lock, with a way to stop it.
 *
 * Stopping: the loop asks `stopRequested` before each candidate and each round, so a stop takes
 * effect between candidates: those in flight finish and are recorded as attempts (their
 * evaluations cached for the next cycle), nothing more is committed, and the repository is left as
 * after a normal run.
 */
import { runEvolution, type RunEvent } from "../evolution/controller.js";
import type { ProviderFlags } from "../agent/llm/select.js";
import { withWorkspaceLock } from "../ledger/index.js";

/** How often a stop was asked for (0: go on; 1 or more: stop before the next candidate). */
export interface StopRequest {
  count: number;
}

export interface CycleOptions {
  root: string;
  stop: StopRequest;
  /** What the lock shows to whoever finds it taken, e.g. `evolve watch`. */
  command: string;
  proposer?: "builtin" | "llm" | "mixed";
  model?: ProviderFlags;
  onEvent?: (event: RunEvent) => void;
}

/** What a cycle did. */
export interface CycleResult {
  initialScore: number;
  finalScore: number;
  /** Generations it committed, oldest first. */
  generations: { generation: number; commit: string; tag: string; score: number; summary: string }[];
  stillFailing: string[];
  stopReason: string;
  /** True when a stop request ended it early. */
  stopped: boolean;
}

/** Runs one improvement cycle holding the workspace lock; refuses with `lock-held` when another writer has it. */
export async function runCycle(o: CycleOptions): Promise<CycleResult> {
  return withWorkspaceLock(o.root, { command: o.command }, async () => {
    const s = await runEvolution({
      dir: o.root,
      ...(o.proposer !== undefined ? { proposer: o.proposer } : {}),
      ...(o.model !== undefined ? { model: o.model } : {}),
      ...(o.onEvent !== undefined ? { onEvent: o.onEvent } : {}),
      stopRequested: () => o.stop.count >= 1,
    });
    return {
      initialScore: s.initialScore,
      finalScore: s.finalScore,
      generations: s.generations.map((g) => ({ generation: g.generation, commit: g.commit, tag: g.tag, score: g.score, summary: g.summary })),
      stillFailing: s.stillFailing,
      stopReason: s.stopReason,
      stopped: s.stopCause === "stopped",
    };
  });
}
