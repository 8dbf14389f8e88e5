/**
 * `evolve improve`: one turn of the design's cycle, from how the agent was used to what changed.
 *
 *   1. live check: the serving generation against its predecessor; a confirmed regression is reverted
 *   2. analyse the window's interactions into failure clusters (tool, error kind, feedback)
 *   3. reflect: the built-in plan, and with a model its own reflection (prompt rewrites, parameters)
 *   4. code generations (the evolution loop, with the learning memory) under the usual gates
 *   5. tuning (agent-level cases): the model's proposals first, then the built-in variants, A/B-gated
 *   6. record what it did, and which interactions motivated which change, in .git/evolve/improve.jsonl
 *
 * The engine is called, not copied: runEvolution and tune keep their own gates and ledgers; this
 * module only decides what to feed them and ties their results back to the interactions.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { clusterFailures, type FailureCluster, type Interaction } from "../interactions/index.js";
import { openWorkspaceStore } from "../workspace/interactions.js";
import { openWorkspaceMemory } from "../workspace/memory.js";
import { openWorkspace } from "../workspace/open.js";
import { gitdirOf } from "../ledger/index.js";
import { checkLiveRegression, type LiveCheck } from "../history/live-revert.js";
import { resolveSettings, selectProvider, type ProviderFlags } from "../agent/llm/index.js";
import type { Provider } from "../agent/llm/provider.js";
import { createResponseCache } from "../agent/llm/cache.js";
import { createSandbox } from "../sandbox/pool.js";
import { agentCasesOf } from "../golden-tests/agent-cases.js";
import { tune, type TuneReport, type Variant } from "../tuning/tune.js";
import { runEvolution, type RunSummary } from "./controller.js";
import { reflectWithModel } from "./llm-reflect.js";
import { orderByMemory, recall, tuningSituation } from "./memory-hook.js";
import type { MemoryEntry } from "../memory/situation.js";
import { builtinReflection, codeMotivation, describeChange, tuningMotivation, type MotivatedChange } from "./improve-plan.js";

export const IMPROVE_LOG = "improve.jsonl";
/** Interactions analysed at most (the newest in the window). */
export const MAX_ANALYSED = 500;
const WEEK_MS = 7 * 86_400_000;

export interface ImproveOptions {
  root: string;
  /** Epoch ms: interactions since then (default: the last 7 days). */
  since?: number;
  /** Code generation rounds (default 3) and candidate budget (default: the config's). */
  generations?: number;
  budget?: number;
  /** Tuning rounds (default 1) and repeats per case. */
  tuneRounds?: number;
  repeats?: number;
  /** Tuning variants per round at most (the model's proposals count first). */
  maxVariants?: number;
  /** Overrides of the config's model section. */
  model?: ProviderFlags;
  say?: (line: string) => void;
}

export interface ImproveReport {
  at: string;
  window: { since: number; interactions: number; analysed: number };
  live: Omit<LiveCheck, "reverted" | "evidence"> & { findings: string[]; revert: { commit: string; tag: string; generation: number } | null };
  clusters: FailureCluster[];
  reflection: { source: "builtin" | "model"; plan: string[]; analysis: string | null; proposals: number; dropped: string[]; problem: string | null };
  code: Pick<RunSummary, "stopReason" | "initialScore" | "finalScore" | "rounds"> & { evaluated: number } | null;
  tuning: Pick<TuneReport, "stopReason" | "initialScore" | "finalScore" | "evaluated"> | null;
  tuningSkipped: string | null;
  changes: MotivatedChange[];
  recordedIn: string;
}

/** Runs one improvement cycle on the workspace at `root` (the caller holds the workspace lock). */
export async function improve(o: ImproveOptions): Promise<ImproveReport> {
  const say = o.say ?? (() => {});
  const at = new Date().toISOString();
  const since = o.since ?? Date.now() - WEEK_MS;
  const live = await checkLiveRegression(o.root, { revert: true });
  say(`live check: ${live.decision}: ${live.reason}`);
  const changes: MotivatedChange[] = [];
  if (live.reverted !== null) {
    const r = live.reverted;
    changes.push({ generation: r.generation, commit: r.commit, tag: r.tag, kind: "rollback", summary: `revert of gen ${live.generation} (live regression)`, clusters: [], interactions: [] });
  }

  const { interactions, total } = await readWindow(o.root, since);
  const clusters = clusterFailures(interactions);
  say(`analysed ${interactions.length} interaction(s) with a problem, of ${total} in the window: ${clusters.length} failure cluster(s)`);

  const ws = await openWorkspace(o.root);
  const agentCases = agentCasesOf(ws.suite).length;
  const plan = builtinReflection(clusters, new Set(ws.suite.cases.map((c) => c.tool)), agentCases);
  const settings = resolveSettings(ws.config.model, o.model ?? {}, { workspace: o.root });
  const provider: Provider | null = settings.provider === "none" ? null : selectProvider(settings);
  try {
    const reflection: ImproveReport["reflection"] = { source: "builtin", plan, analysis: null, proposals: 0, dropped: [], problem: null };
    const modelVariants: Array<{ variant: Variant; addresses: string[] }> = [];
    if (provider !== null && clusters.length > 0) {
      const r = await reflectWithModel(provider, ws.files, clusters);
      if (r.ok) {
        Object.assign(reflection, { source: "model", analysis: r.reflection.analysis, proposals: r.reflection.proposals.length, dropped: r.dropped });
        modelVariants.push(...r.variants);
        plan.push(`the model: ${r.reflection.analysis}`, ...r.variants.map((v) => `the model proposes ${v.variant.description}`));
      } else reflection.problem = `the model's reflection was unusable: ${r.reason}`;
    }
    for (const line of plan) say(`plan: ${line}`);
    if (reflection.problem) say(reflection.problem);

    const code = await codeGenerations(o, ws.suite.cases, clusters, changes, say);
    const tuned = await tuning(o, provider, agentCases, modelVariants, clusters, changes, say);
    const report: ImproveReport = {
      at,
      window: { since, interactions: total, analysed: interactions.length },
      live: { decision: live.decision, reason: live.reason, generation: live.generation, commit: live.commit, parent: live.parent, findings: live.evidence?.findings.map((f) => `${f.metric} p=${f.p}`) ?? [], revert: live.reverted && { commit: live.reverted.commit, tag: live.reverted.tag, generation: live.reverted.generation } },
      clusters,
      reflection,
      code,
      tuning: tuned.report,
      tuningSkipped: tuned.skipped,
      changes,
      recordedIn: path.join(await gitdirOf(o.root), "evolve", IMPROVE_LOG),
    };
    for (const c of changes) say(`change: ${describeChange(c)}`);
    record(report);
    return report;
  } finally {
    await provider?.close();
  }
}

/** The window's interactions that had a problem, in full (at most MAX_ANALYSED), and how many there were in all. */
async function readWindow(root: string, since: number): Promise<{ interactions: Interaction[]; total: number }> {
  const store = await openWorkspaceStore(root, { create: false });
  if (store === null) return { interactions: [], total: 0 };
  try {
    const all = store.list({ since, limit: 100_000 });
    const troubled = all.filter((s) => s.status === "no-answer" || s.status === "error" || s.toolFailures > 0 || s.signals.length > 0).slice(0, MAX_ANALYSED);
    return { interactions: troubled.map((s) => store.get(s.id)), total: all.length };
  } finally {
    store.close();
  }
}

async function codeGenerations(o: ImproveOptions, cases: ReadonlyArray<{ id: string; tool: string; split: string }>, clusters: readonly FailureCluster[], changes: MotivatedChange[], say: (l: string) => void): Promise<ImproveReport["code"]> {
  if (!cases.some((c) => c.split === "train")) {
    say("code generations skipped: the golden suite has no tool-level train cases to judge code by");
    return null;
  }
  const memory = await openWorkspaceMemory(o.root, { create: true });
  let run: RunSummary;
  try {
    run = await runEvolution({ dir: o.root, generations: o.generations ?? 3, ...(o.budget !== undefined ? { budget: o.budget } : {}), ...(memory ? { memory } : {}) });
  } finally {
    memory?.close();
  }
  const toolOf = new Map(cases.map((c) => [c.id, c.tool]));
  for (const g of run.generations) {
    const tools = new Set(g.fixed.map((id) => toolOf.get(id) ?? ""));
    changes.push({ generation: g.generation, commit: g.commit, tag: g.tag, kind: "code", summary: g.summary, ...codeMotivation(tools, clusters) });
  }
  say(`code generations: ${run.stopReason}; score ${run.initialScore} -> ${run.finalScore}, ${run.generations.length} generation(s), ${run.candidates.evaluated} candidate(s) evaluated`);
  return { stopReason: run.stopReason, initialScore: run.initialScore, finalScore: run.finalScore, rounds: run.rounds, evaluated: run.candidates.evaluated };
}

async function tuning(
  o: ImproveOptions,
  provider: Provider | null,
  agentCases: number,
  modelVariants: ReadonlyArray<{ variant: Variant; addresses: string[] }>,
  clusters: readonly FailureCluster[],
  changes: MotivatedChange[],
  say: (l: string) => void,
): Promise<{ report: TuneReport | null; skipped: string | null }> {
  const skip = provider === null ? "no model configured (model.provider, or --provider and --model)" : agentCases === 0 ? "the golden suite has no agent-level cases to A/B-test on" : null;
  if (skip !== null || provider === null) {
    say(`tuning skipped: ${skip}`);
    return { report: null, skipped: skip };
  }
  const ws = await openWorkspace(o.root);
  const cache = createResponseCache(path.join(await gitdirOf(o.root), "evolve", "response-cache.jsonl"));
  const sandbox = createSandbox({ workers: 1, timeoutMs: ws.config.sandbox.timeoutMs, memoryMb: ws.config.sandbox.memoryMb });
  // The memory orders the variants by what helped in similar failures before, and learns from this round.
  const memory = await openWorkspaceMemory(o.root, { create: true });
  const situation = tuningSituation(clusters);
  const remembered = recall(memory ?? undefined, situation);
  const outcomes: MemoryEntry[] = [];
  try {
    const report = await tune({
      root: o.root,
      provider,
      cache,
      sandbox,
      rounds: o.tuneRounds ?? 1,
      ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
      ...(o.maxVariants !== undefined ? { maxVariants: o.maxVariants } : {}),
      // The model's proposals were made for the tree it read: offered in the first round only.
      extraVariants: (_files, round) => (round === 1 ? modelVariants.map((v) => v.variant) : []),
      order: (variants) => orderByMemory(variants, remembered.factors),
      onEvent: (e) => {
        if (e.type !== "variant") return;
        say(`  A/B ${e.accepted ? "accepted" : "rejected"}: ${e.variant.description}: ${e.reason}`);
        if (situation !== null) outcomes.push({ situation, operator: e.variant.operator, description: e.variant.description, outcome: e.accepted ? "repaired" : e.score === null ? "refused" : "no-gain", delta: e.ab?.meanDelta ?? 0, at: Date.now() });
      },
    });
    for (const g of report.generations) {
      const aimed = modelVariants.find((v) => v.variant.description === g.description)?.addresses;
      changes.push({ generation: g.generation, commit: g.commit, tag: g.tag, kind: "tuning", summary: `${g.operator}: ${g.description}`, ...tuningMotivation(aimed, clusters) });
    }
    const won = new Set(report.generations.map((g) => g.description));
    memory?.record(outcomes.map((x) => (won.has(x.description) ? { ...x, outcome: "accepted" as const } : x)));
    say(`tuning: ${report.stopReason}; score ${report.initialScore} -> ${report.finalScore}, ${report.evaluated} variant(s) A/B-tested`);
    return { report, skipped: null };
  } finally {
    memory?.close();
    await sandbox.destroy();
  }
}

/** Appends the report as one JSON line: what each cycle saw, planned and did stays readable later. */
function record(report: ImproveReport): void {
  mkdirSync(path.dirname(report.recordedIn), { recursive: true });
  appendFileSync(report.recordedIn, `${JSON.stringify(report)}\n`);
}
