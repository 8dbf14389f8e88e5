/**
 * The one place the watcher calls the evolution loop: an improvement cycle is `runEvolution` on the
 * workspace, under its lock, with a way to stop it. The loop is being reshaped elsewhere; whatever
 * its options become, only this adapter changes.
 *
 * Stopping: the loop takes no stop signal yet, and commits a generation only at the end of a round,
 * so a stop asked for takes effect at the start of the next round (thrown through the event
 * callback while no candidate is in flight), leaving the repository as after a normal run. Ending
 * mid-round would need the loop's cooperation (candidates in flight hold sandbox workers): when the
 * loop takes an AbortSignal, pass it here.
 */
import { runEvolution, type RunEvent } from "../evolution/controller.js";
import type { ProviderFlags } from "../agent/llm/select.js";
import { EvolveError } from "../kernel/errors.js";
import { withWorkspaceLock } from "../ledger/index.js";

/** How often a stop was asked for (0: go on; 1 or more: stop before the next round). */
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

/** Thrown through the loop's event callback to end it; never leaves this module. */
class Stopped extends EvolveError {
  constructor() {
    super("internal", "stopped on request");
  }
}

/** Runs one improvement cycle holding the workspace lock; refuses with `lock-held` when another writer has it. */
export async function runCycle(o: CycleOptions): Promise<CycleResult> {
  const stopper = (event: RunEvent): void => {
    o.onEvent?.(event);
    if (event.type === "round" && o.stop.count >= 1) throw new Stopped();
  };
  return withWorkspaceLock(o.root, { command: o.command }, async () => {
    const committed: CycleResult["generations"] = [];
    let initialScore = Number.NaN;
    try {
      const s = await runEvolution({
        dir: o.root,
        ...(o.proposer !== undefined ? { proposer: o.proposer } : {}),
        ...(o.model !== undefined ? { model: o.model } : {}),
        onEvent: (e) => {
          if (e.type === "start") initialScore = e.score;
          if (e.type === "generation") committed.push({ generation: e.generation, commit: e.commit, tag: e.tag, score: e.score, summary: e.summary });
          stopper(e);
        },
      });
      return {
        initialScore: s.initialScore,
        finalScore: s.finalScore,
        generations: s.generations.map((g) => ({ generation: g.generation, commit: g.commit, tag: g.tag, score: g.score, summary: g.summary })),
        stillFailing: s.stillFailing,
        stopReason: s.stopReason,
        stopped: false,
      };
    } catch (err) {
      if (!(err instanceof Stopped)) throw err;
      const last = committed.at(-1);
      return { initialScore, finalScore: last?.score ?? initialScore, generations: committed, stillFailing: [], stopReason: "stopped on request", stopped: true };
    }
  });
}
