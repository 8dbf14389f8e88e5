/**
 * The small pieces run.ts reads as one line each: the initial state, the learning memory read from
 * git, the stop rules, the model's source, the summary.
 */
import type { GoldenCase } from "../../golden-tests/index.js";
import type { Measurement } from "../../golden-tests/evaluate.js";
import { applyUnifiedDiff, readAttempts, recordAttempts } from "../../ledger/index.js";
import { externalCandidate } from "../candidates.js";
import type { Candidate } from "../candidates.js";
import type { EvalCache, LogEntry } from "../../ledger/index.js";
import { recordedOf } from "../../ledger/record.js";
import type { Edit } from "../edits.js";
import type { FailingCase } from "../llm-proposer.js";
import type { OperatorTry } from "../reflect.js";
import { trends } from "../monitor.js";
import type { RunResources } from "./context.js";
import type { MeasuredBase } from "./base.js";
import type { GateBase } from "./gates.js";
import type { OpenedRun } from "./open.js";
import { listSource, llmSource } from "./sources.js";
import type { CandidateSource } from "./sources.js";
import { changedLines, metricsOf, totalRefused } from "./state.js";
import type { RunState } from "./state.js";
import type { RunEvent, RunSummary, StopCause } from "./types.js";

export function newRunState(opened: OpenedRun, measured: MeasuredBase, tries: OperatorTry[], emit: (e: RunEvent) => void, started: number): RunState {
  const { ws, base, generation } = measured;
  return {
    root: opened.root,
    branch: opened.branch,
    settings: opened.settings,
    emit,
    started,
    ws,
    initialCommit: ws.commit,
    flags: new Map(ws.suite.cases.map((c) => [c.id, { mustPass: c.mustPass, split: c.split }])),
    base,
    initial: base,
    generation,
    rounds: 0,
    counts: { evaluated: 0, fromCache: 0, refused: { safety: 0, typecheck: 0, build: 0, approval: 0 } },
    stages: { propose: 0, apply: 0, typecheck: 0, build: 0, evaluate: 0, commit: 0 },
    accepted: [],
    alerts: [],
    reflections: [],
    metrics: [metricsOf(generation - 1, base)],
    tries,
    seen: new Set(),
    held: [],
    stop: null,
  };
}

/**
 * Learning memory, read back from git: accepted builtin operators from trailers, rejected ones
 * from attempt notes. Candidates held for approval were not failures and are left out.
 */
export async function pastTries(root: string, log: readonly LogEntry[]): Promise<OperatorTry[]> {
  const out: OperatorTry[] = [];
  for (const e of log) {
    const r = recordedOf(e.trailers);
    if (r?.operator != null && r.proposer === "builtin") out.push({ operator: r.operator, accepted: true });
  }
  for (const a of await readAttempts(root)) if (a.operator !== "" && a.metrics["stage"] !== "approval") out.push({ operator: a.operator, accepted: false });
  return out;
}

/** Why the run stops before the next round, or null to go on. */
export const STOPPED = { cause: "stopped", reason: "stopped on request" } as const;

export function stopCheck(state: RunState, stopRequested: () => boolean): { cause: StopCause; reason: string } | null {
  const { generations, budget } = state.settings;
  if (stopRequested()) return STOPPED;
  if (state.base.failed === 0) return { cause: "perfect", reason: "every case passes" };
  // The judge accepts only a higher train score, and holdout cases never steer: once every train
  // case passes, no candidate can be accepted, and further rounds would spend the budget for nothing.
  if (state.base.score >= 1 - 1e-9) return { cause: "perfect", reason: "every train case passes (holdout cases only confirm a repair; none can be accepted for them)" };
  if (state.rounds >= generations) return { cause: "rounds", reason: `reached ${generations} generation round${generations === 1 ? "" : "s"}` };
  if (state.counts.evaluated >= budget) return { cause: "budget", reason: `spent the budget of ${budget} candidates` };
  return null;
}

/** The model's source when the run proposes with one: all of a round's candidates (llm) or a quarter (mixed). */
export function llmSourceFor(state: RunState, res: RunResources, evolvable: (p: string) => boolean): CandidateSource | null {
  if (res.provider === null) return null;
  const per = state.settings.perGeneration;
  const count = state.settings.proposer === "llm" ? per : Math.max(1, Math.floor(per / 4));
  const context = async () => ({
    files: state.ws.files,
    evolvable,
    failing: failingCases(state.base, state.ws.suite.cases),
    reflection: state.reflections.at(-1)?.plan,
    pastAttempts: await readAttempts(state.root, state.ws.commit),
    snapshotBudget: 1500,
  });
  return llmSource(res.provider, context, { count, seed: state.settings.seed, base: () => ({ files: state.ws.files, tree: state.ws.tree }), seen: state.seen });
}

/** What the model is told about each failing case: its call, what the assertions expect, why it failed. */
function failingCases(m: Measurement, cases: readonly GoldenCase[]): FailingCase[] {
  const byId = new Map(cases.map((c) => [c.id, c]));
  return m.results
    .filter((r) => !r.pass)
    .map((r) => {
      const c = byId.get(r.id);
      return { id: r.id, tool: c?.tool ?? "?", input: c?.args ?? [], expected: c?.assert.map((a) => ({ type: a.negate ? `not-${a.type}` : a.type, value: a.value })) ?? [], actual: r.reason, reason: r.reason };
    });
}

/** A model's answers that could not become candidates are kept as attempts, with their reason. */
export async function recordUnusable(state: RunState, sources: readonly CandidateSource[]): Promise<void> {
  for (const s of sources) {
    const unusable = s.drainUnusable?.() ?? [];
    if (unusable.length > 0) await recordAttempts(state.root, state.ws.commit, unusable, state.ws.config.history);
  }
}

export function gateBase(state: RunState, evolvable: (p: string) => boolean): GateBase {
  return { root: state.root, commit: state.ws.commit, files: state.ws.files, config: state.ws.config, suiteHash: state.ws.suite.hash, flags: state.flags, measurement: state.base, evolvable };
}

export function operatorsOf(names: readonly string[]): Edit["operator"][] | undefined {
  return names.includes("all") ? undefined : (names as Edit["operator"][]);
}

export function summarise(state: RunState, cache: EvalCache): RunSummary {
  const wallMs = performance.now() - state.started;
  const { counts, stages, base, initial } = state;
  const stop = state.stop ?? { cause: "rounds" as const, reason: "stopped" };
  return {
    workspace: state.root,
    branch: state.branch,
    initialCommit: state.initialCommit,
    finalCommit: state.ws.commit,
    initialScore: initial.score,
    finalScore: base.score,
    initialHoldout: initial.holdout,
    finalHoldout: base.holdout,
    passed: base.passed,
    total: base.total,
    generations: state.accepted,
    rounds: state.rounds,
    candidates: { ...counts, refused: { ...counts.refused }, perSecond: round2(((counts.evaluated + counts.fromCache + totalRefused(counts)) / wallMs) * 1000) },
    cache: { hits: cache.hits, misses: cache.misses },
    stages: { propose: round2(stages.propose), apply: round2(stages.apply), typecheck: round2(stages.typecheck), build: round2(stages.build), evaluate: round2(stages.evaluate), commit: round2(stages.commit) },
    wallMs: round2(wallMs),
    stopReason: stop.reason,
    stopCause: stop.cause,
    alerts: state.alerts,
    trends: trends(state.metrics, state.ws.config.monitoring.metrics),
    reflections: state.reflections,
    stillFailing: base.results.filter((r) => !r.pass).map((r) => r.id),
    held: state.held.map((t) => ({ id: t.tree.slice(0, 10), lines: changedLines(t.diff), description: t.candidate.origin.description })),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Held candidates re-offered at most, newest first. */
const HELD_REOFFERED = 32;

/**
 * With --approve-large, the candidates earlier runs held for approval are offered again first (a
 * lower-scoring one may have been committed in their place): each whose diff still applies to the
 * tip exactly becomes a candidate and competes like any other. Null without --approve-large.
 */
export async function heldSourceFor(state: RunState): Promise<CandidateSource | null> {
  if (!state.settings.approveLarge) return null;
  const byTree = new Map<string, Candidate>();
  const held = (await readAttempts(state.root)).filter((a) => a.metrics["stage"] === "approval" && a.diff !== "").reverse();
  for (const a of held) {
    if (byTree.size >= HELD_REOFFERED) break;
    const patched = applyUnifiedDiff(state.ws.files, a.diff);
    if (!patched.ok || byTree.has(a.tree)) continue;
    const proposer = a.proposer === "llm" || a.proposer === "tune" ? a.proposer : "builtin";
    const c = externalCandidate(state.ws.files, state.ws.tree, patched.files, { proposer, operator: a.operator, description: a.description, changes: Math.max(1, a.operator.split("+").length) }, state.seen);
    if (c !== null) byTree.set(a.tree, c);
  }
  return byTree.size === 0 ? null : listSource("held", [...byTree.values()]);
}
