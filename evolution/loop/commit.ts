/**
 * Stage 6, commit the generation: the winner becomes a commit with its record's trailers and a
 * gen-N tag (ledger/generation-commit.ts, the path every generation takes), the work tree
 * follows, the monitor looks at the new metrics. Before anything is written, the branch and the
 * work tree are checked against what the run started from: an edit made meanwhile ends the run
 * with one message, nothing overwritten.
 */
import { EvolveError } from "../../kernel/errors.js";
import type { Measurement } from "../../golden-tests/evaluate.js";
import { commitGeneration, dirtyPaths, readRef } from "../../ledger/index.js";
import type { Action, GenerationRecord } from "../../ledger/record.js";
import { alertsFor } from "../monitor.js";
import { PARAMS_FILE } from "../param-weight.js";
import { MODEL_NONE } from "./context.js";
import { metricsOf } from "./state.js";
import type { RunState, Tried } from "./state.js";
import type { AcceptedGeneration } from "./types.js";

export async function commitWinner(state: RunState, winner: Tried, candidates: number, modelId: string): Promise<AcceptedGeneration> {
  const t0 = performance.now();
  await refuseInterference(state);
  const record = generationRecord(state, winner, candidates, modelId);
  const changes = new Map(winner.candidate.changed.map((p) => [p, winner.candidate.files.get(p) ?? null] as const));
  const committed = await commitGeneration(state.root, { branch: state.branch, parent: state.ws.commit, changes, record });
  state.stages.commit += performance.now() - t0;
  if (committed.tree !== winner.tree) throw new EvolveError("internal", `internal: committed tree ${committed.tree} differs from the evaluated tree ${winner.tree}`, { commit: committed.commit });
  state.tries.push({ operator: record.operator, accepted: true });
  const m = winner.measurement!;
  const entry: AcceptedGeneration = { generation: state.generation, commit: committed.commit, tag: committed.tag, score: m.score, holdout: m.holdout, delta: winner.verdict!.delta, operator: record.operator, summary: record.summary, fixed: record.fixed };
  state.accepted.push(entry);
  state.emit({ type: "generation", ...entry });
  state.metrics.push(metricsOf(state.generation, m));
  for (const alert of alertsFor(state.metrics, state.ws.config.monitoring.alerts, state.ws.config.monitoring.metrics)) {
    state.alerts.push(alert);
    state.emit({ type: "alert", alert });
  }
  state.ws = { ...state.ws, commit: committed.commit, tree: committed.tree, files: winner.candidate.files };
  state.base = m;
  state.generation += 1;
  return entry;
}

/**
 * The branch must still be where the run left it and the work tree clean: someone who committed,
 * switched branches or edited a file during the run gets one clear message, and the run stops
 * before it overwrites anything. Called before each round (so no round is spent in vain) and
 * again right before a commit.
 */
export async function refuseInterference(state: RunState): Promise<void> {
  const tip = await readRef(state.root, `refs/heads/${state.branch}`);
  if (tip !== state.ws.commit) {
    throw new EvolveError("run-interrupted", `${state.root}: branch ${state.branch} moved during the run (now ${tip?.slice(0, 10) ?? "gone"}, expected ${state.ws.commit.slice(0, 10)}); the run stopped without committing. Run evolve again to continue from the new tip`, { branch: state.branch, expected: state.ws.commit, actual: tip ?? null, paths: [] });
  }
  const dirty = await dirtyPaths(state.root);
  if (dirty.length > 0) {
    throw new EvolveError("run-interrupted", `${state.root}: ${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", ..." : ""} changed in the work tree during the run; the run stopped without overwriting them. Commit or stash the edits, then run evolve again`, { branch: state.branch, expected: state.ws.commit, actual: tip, paths: dirty });
  }
}

function generationRecord(state: RunState, w: Tried, candidates: number, model: string): GenerationRecord {
  const { origin, changed, edits } = w.candidate;
  const fixed = w.verdict!.fixed;
  const details = edits.length > 0 ? edits.map((e) => `- ${e.description}`) : origin.description.split("; ").map((d) => `- ${d}`);
  return {
    generation: state.generation,
    action: actionOf(changed),
    summary: `${origin.operator} in ${changed.join(", ")}${fixed.length > 0 ? `, fixes ${fixed.slice(0, 3).join(", ")}${fixed.length > 3 ? ", ..." : ""}` : ""}`,
    details,
    parent: state.base as Measurement,
    measurement: w.measurement!,
    fixed,
    proposer: origin.proposer,
    operator: origin.operator,
    suiteHash: state.ws.suite.hash,
    model: origin.proposer === "llm" ? model : MODEL_NONE,
    seed: state.settings.seed,
    candidates,
  };
}

/** The improvement action a change is, by what it touches. */
function actionOf(changed: readonly string[]): Action {
  if (changed.every((p) => p === PARAMS_FILE)) return "parameter-adjustment";
  if (changed.every((p) => p.startsWith("agent/prompts/"))) return "prompt-tuning";
  return "code-modification";
}
