/**
 * Prompt tuning and parameter search on the agent-level cases. Each round measures the tip, builds a
 * small set of variants (built-in prompt rewrites, one-parameter steps over agent/params.json),
 * A/B-tests each against the tip case by case, and commits the best variant that is a significant
 * improvement as the next generation; the others are recorded as attempts with their A/B table.
 * Stops after `rounds` rounds or at the first round where no variant wins significantly.
 */
import { applyEdits, modify } from "jsonc-parser";
import type { FileMap } from "../kernel/files.js";
import type { ResponseCache } from "../agent/llm/cache.js";
import { errorText, type Provider } from "../agent/llm/provider.js";
import { agentParams, PARAMS_FILE } from "../agent/runtime/params.js";
import { openWorkspace, WorkspaceError, type Workspace } from "../workspace/open.js";
import { agentCasesOf } from "../golden-tests/agent-cases.js";
import { candidateTreeOid, commitGeneration, currentBranch, firstParentLog, recordAttempts, unifiedDiff, type AttemptRecord } from "../ledger/index.js";
import { isEvolvable } from "../workspace/config.js";
import type { Sandbox } from "../sandbox/pool.js";
import { abSummary, abTest, isImprovement, pairScores, type AbResult, type CaseScore } from "./ab-test.js";
import { agentMeasurement, evaluateAgent, type AgentEvaluation } from "./agent-eval.js";
import { type GenerationRecord } from "../ledger/record.js";
import { lastGeneration } from "../ledger/generations.js";

/** The trailer carrying the accepted variant's A/B figures. */
export const AB_TRAILER = "Evolve-AB";

/** A candidate change to the agent's prompts or params. */
export interface Variant {
  action: "prompt-tuning" | "parameter-adjustment";
  /** e.g. `append-instruction`, `drop-sentence`, `maxTokens*2`. */
  operator: string;
  /** One line: what changes. */
  description: string;
  /** path -> new text. */
  changes: ReadonlyMap<string, string>;
}

/** Instruction lines the prompt rewrites add. */
export const INSTRUCTIONS = ["Answer in one short sentence.", "Always answer; keep it simple and friendly."] as const;

const PROMPT_FILE = /^agent\/prompts\/[^/]+\.md$/;

/** Sentences of a prompt: runs of text ending in . ! ? or a line end, with their offsets. */
function sentences(text: string): { start: number; end: number; text: string }[] {
  const out: { start: number; end: number; text: string }[] = [];
  // A {{placeholder}} is one unit: the dots of `{{agent.name}}` end no sentence.
  for (const m of text.matchAll(/(?:\{\{[^}\n]*\}\}|[^\s.!?{])(?:\{\{[^}\n]*\}\}|[^.!?\n{])*[.!?]*/g)) out.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  return out;
}

function tidy(text: string): string {
  return `${text.replace(/[ \t]+\n/g, "\n").replace(/ {2,}/g, " ").replace(/\n{3,}/g, "\n\n").trim()}\n`;
}

/**
 * Built-in rewrites of every agent/prompts/*.md: append or prepend an instruction line, drop one
 * sentence, swap the first two sentences. A sentence holding a `{{placeholder}}` is never dropped
 * (the runtime may rely on it).
 */
export function promptVariants(files: FileMap): Variant[] {
  const out: Variant[] = [];
  for (const path of [...files.keys()].filter((p) => PROMPT_FILE.test(p)).sort()) {
    const text = files.get(path) ?? "";
    const add = (operator: string, description: string, next: string): void => {
      const t = tidy(next);
      if (t !== text && t.trim() !== "") out.push({ action: "prompt-tuning", operator, description: `${path}: ${description}`, changes: new Map([[path, t]]) });
    };
    for (const line of INSTRUCTIONS) if (!text.includes(line)) add("append-instruction", `append "${line}"`, `${text.trimEnd()}\n${line}\n`);
    const first = INSTRUCTIONS[0];
    if (!text.includes(first)) add("prepend-instruction", `prepend "${first}"`, `${first}\n${text}`);
    const parts = sentences(text);
    if (parts.length >= 2) {
      for (const s of parts) {
        if (s.text.includes("{{")) continue;
        add("drop-sentence", `drop "${s.text}"`, text.slice(0, s.start) + text.slice(s.end));
      }
      const [a, b] = parts as [(typeof parts)[0], (typeof parts)[0]];
      add("swap-sentences", `swap "${a.text}" and "${b.text}"`, text.slice(0, a.start) + b.text + text.slice(a.end, b.start) + a.text + text.slice(b.end));
    }
  }
  return out;
}

/** agent/params.json with one key set, formatting and other keys kept. */
export function setParam(text: string, key: string, value: number | undefined): string {
  const base = text.trim() === "" ? "{}\n" : text;
  return applyEdits(base, modify(base, [key], value, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" } }));
}

/**
 * One-parameter steps from the current params (a coordinate search: each round moves one
 * coordinate, the next round searches around the new point): maxTokens doubled and halved,
 * temperature to 0 or 0.7 (and halved when above 0), topP to 0.9 (or unset), seed + 1.
 */
export function paramVariants(files: FileMap): Variant[] {
  const p = agentParams(files);
  const text = files.get(PARAMS_FILE) ?? "";
  const out: Variant[] = [];
  const add = (operator: string, key: string, value: number | undefined, from: unknown): void => {
    const next = setParam(text, key, value);
    if (next !== text) out.push({ action: "parameter-adjustment", operator, description: `${PARAMS_FILE}: ${key} ${JSON.stringify(from ?? null)} -> ${JSON.stringify(value ?? null)}`, changes: new Map([[PARAMS_FILE, next]]) });
  };
  if (p.maxTokens * 2 <= 4096) add("maxTokens*2", "maxTokens", p.maxTokens * 2, p.maxTokens);
  if (Math.floor(p.maxTokens / 2) >= 16) add("maxTokens/2", "maxTokens", Math.floor(p.maxTokens / 2), p.maxTokens);
  if (p.temperature > 0) {
    add("temperature=0", "temperature", 0, p.temperature);
    add("temperature/2", "temperature", Math.round((p.temperature / 2) * 100) / 100, p.temperature);
  } else add("temperature=0.7", "temperature", 0.7, p.temperature);
  if (p.topP === undefined) add("topP=0.9", "topP", 0.9, undefined);
  else add("topP-unset", "topP", undefined, p.topP);
  if (p.seed !== undefined) add("seed+1", "seed", p.seed + 1, p.seed);
  return out;
}

/** Scores as pairs: a deterministic side (one repeat) stands for itself at every repeat of the other. */
export function pairRuns(a: AgentEvaluation, b: AgentEvaluation): ReturnType<typeof pairScores> {
  const spread = (e: AgentEvaluation, repeats: number): CaseScore[] =>
    e.repeats === 1 && repeats > 1 ? e.runs.flatMap((r) => Array.from({ length: repeats }, (_, i) => ({ id: r.id, repeat: i, score: r.score }))) : e.runs.map((r) => ({ id: r.id, repeat: r.repeat, score: r.score }));
  const n = Math.max(a.repeats, b.repeats);
  return pairScores(spread(a, n), spread(b, n));
}

/** What a tune run reports as it goes. */
export type TuneEvent =
  | { type: "base"; round: number; generation: number; score: number; passed: number; total: number; variants: number }
  | { type: "variant"; round: number; variant: Variant; score: number | null; ab: AbResult | null; accepted: boolean; reason: string }
  | { type: "generation"; generation: number; commit: string; tag: string; score: number; parentScore: number; variant: Variant; ab: AbResult };

/** One committed generation. */
export interface TunedGeneration {
  generation: number;
  commit: string;
  tag: string;
  action: Variant["action"];
  operator: string;
  description: string;
  parentScore: number;
  score: number;
  ab: ReturnType<typeof abSummary>;
}

export interface TuneOptions {
  root: string;
  /** The raw provider (the cache wraps it). */
  provider: Provider;
  cache: ResponseCache;
  sandbox: Sandbox;
  /** Rounds at most (default 3); each round commits at most one generation. */
  rounds?: number;
  /** Runs per case when sampling is stochastic (default 3). */
  repeats?: number;
  /** Significance level of the sign test (default 0.05). */
  alpha?: number;
  /** Variants per round at most (default: all). */
  maxVariants?: number;
  /** Which variant families to try (default both). */
  kinds?: ReadonlyArray<Variant["action"]>;
  /** Variants from elsewhere (a model's reflection), tried first in each round, through the same A/B gate. */
  extraVariants?: (files: FileMap, round: number) => Variant[];
  /** Reorders each round's variants before `maxVariants` cuts them (the learning memory's ranking). */
  order?: (variants: Variant[]) => Variant[];
  onEvent?: (e: TuneEvent) => void;
}

export interface TuneReport {
  workspace: string;
  branch: string;
  model: string;
  initialScore: number;
  finalScore: number;
  generations: TunedGeneration[];
  /** Variants evaluated, and how many were rejected. */
  evaluated: number;
  rejected: number;
  /** Agent evaluations run (tips and variants); tips re-measured in later rounds come from the response cache. */
  evaluations: number;
  stopReason: string;
}


function withChanges(files: FileMap, changes: ReadonlyMap<string, string>): FileMap {
  const next = new Map(files);
  for (const [p, t] of changes) next.set(p, t);
  return next;
}

/** Case ids that fail somewhere under the tip and pass everywhere under the variant. */
function fixedCases(base: AgentEvaluation, next: AgentEvaluation): string[] {
  const ids = [...new Set(base.runs.map((r) => r.id))];
  const all = (e: AgentEvaluation, id: string, pass: boolean): boolean => e.runs.filter((r) => r.id === id).every((r) => r.pass === pass);
  return ids.filter((id) => base.runs.some((r) => r.id === id && !r.pass) && all(next, id, true));
}

/** Runs the tuning loop on the workspace at `root` (its checked-out branch). */
export async function tune(o: TuneOptions): Promise<TuneReport> {
  const rounds = o.rounds ?? 3;
  const alpha = o.alpha ?? 0.05;
  const kinds = o.kinds ?? ["parameter-adjustment", "prompt-tuning"];
  const emit = o.onEvent ?? (() => undefined);
  const branch = await currentBranch(o.root);
  const health = await o.provider.health();
  if (!health.ok) throw new WorkspaceError(`evolve tune: ${health.problem}`);
  const model = (await o.provider.info()).identity;
  const generations: TunedGeneration[] = [];
  let evaluated = 0;
  let rejected = 0;
  let evaluations = 0;
  let initialScore: number | null = null;
  let finalScore = 0;
  let stopReason = `reached ${rounds} round${rounds === 1 ? "" : "s"}`;

  const measure = async (ws: Workspace, files: FileMap): Promise<AgentEvaluation> => {
    evaluations++;
    return evaluateAgent({ files, config: ws.config, suite: ws.suite, provider: o.provider, cache: o.cache, sandbox: o.sandbox, ...(o.repeats !== undefined ? { repeats: o.repeats } : {}) });
  };

  for (let round = 1; round <= rounds; round++) {
    const ws = await openWorkspace(o.root);
    if (agentCasesOf(ws.suite).length === 0) throw new WorkspaceError(`${o.root}: the golden suite has no agent-level cases (cases with \`agent: { request: ... }\`); evolve tune needs them`);
    const log = await firstParentLog(o.root, ws.commit, { limit: 10_000 });
    const generation = lastGeneration(log) + 1;
    const base = await measure(ws, ws.files);
    initialScore ??= base.score;
    finalScore = base.score;
    // The one protected-path rule (always-protected paths, dot files, normalisation) that the run's safety gate applies.
    let variants = [...(o.extraVariants?.(ws.files, round) ?? []), ...(kinds.includes("parameter-adjustment") ? paramVariants(ws.files) : []), ...(kinds.includes("prompt-tuning") ? promptVariants(ws.files) : [])].filter((v) =>
      [...v.changes.keys()].every((p) => isEvolvable(ws.config, p)),
    );
    if (o.order !== undefined) variants = o.order(variants);
    if (o.maxVariants !== undefined) variants = variants.slice(0, o.maxVariants);
    emit({ type: "base", round, generation, score: base.score, passed: base.passed, total: base.total, variants: variants.length });

    const tried: TriedVariant[] = [];
    for (const variant of variants) {
      evaluated++;
      const files = withChanges(ws.files, variant.changes);
      let evaluation: AgentEvaluation | null = null;
      let ab: AbResult | null = null;
      let reason: string;
      let accepted = false;
      try {
        evaluation = await measure(ws, files);
        ab = abTest(pairRuns(base, evaluation));
        accepted = isImprovement(ab, alpha);
        const table = `${ab.wins} wins, ${ab.losses} losses, ${ab.ties} ties, sign test p = ${abSummary(ab).p}`;
        reason = accepted ? `significant improvement: ${table}` : ab.wins <= ab.losses ? `no improvement: ${table}` : `not significant at alpha ${alpha}: ${table}`;
      } catch (err) {
        reason = `the variant cannot be evaluated: ${errorText(err)}`;
      }
      tried.push({ variant, files, evaluation, ab, reason, accepted });
      emit({ type: "variant", round, variant, score: evaluation?.score ?? null, ab, accepted, reason });
    }

    const winners = tried.filter((t) => t.accepted).sort((x, y) => y.evaluation!.score - x.evaluation!.score || x.ab!.p - y.ab!.p);
    const winner = winners[0];
    const losers = tried.filter((t) => t !== winner);
    if (losers.length > 0) {
      rejected += losers.length;
      await recordAttempts(o.root, ws.commit, await Promise.all(losers.map((t) => loserAttempt(o.root, ws, generation, base, t))), ws.config.history);
    }
    if (!winner) {
      stopReason = `round ${round}: no variant improved significantly (alpha ${alpha})`;
      break;
    }

    const entry = await commitVariant(o.root, branch, ws, generation, base, winner, { model, candidates: tried.length });
    finalScore = entry.score;
    generations.push(entry);
    emit({ type: "generation", generation, commit: entry.commit, tag: entry.tag, score: entry.score, parentScore: base.score, variant: winner.variant, ab: winner.ab! });
  }
  return { workspace: o.root, branch, model, initialScore: initialScore ?? 0, finalScore, generations, evaluated, rejected, evaluations, stopReason };
}


/** One variant of a round, evaluated (or not) and A/B-tested against the tip. */
interface TriedVariant {
  variant: Variant;
  files: FileMap;
  evaluation: AgentEvaluation | null;
  ab: AbResult | null;
  reason: string;
  accepted: boolean;
}

/** A variant that did not become the round's generation, as an attempt with its A/B table. */
async function loserAttempt(root: string, ws: Workspace, generation: number, base: AgentEvaluation, t: TriedVariant): Promise<AttemptRecord> {
  const m = t.evaluation ? agentMeasurement(t.evaluation) : null;
  return {
    generation,
    base: ws.commit,
    tree: await candidateTreeOid(root, ws.commit, t.variant.changes),
    operator: t.variant.operator,
    proposer: "tune",
    description: t.variant.description,
    diff: unifiedDiff(ws.files, t.files),
    score: m?.score ?? null,
    holdout: m?.holdout ?? null,
    reason: t.accepted ? `a better variant won this round (${t.reason})` : t.reason,
    metrics: {
      stage: "ab-test",
      action: t.variant.action,
      baseScore: base.score,
      ...(t.ab ? { ab: abSummary(t.ab), meanDelta: t.ab.meanDelta } : {}),
      ...(t.evaluation ? { passed: t.evaluation.passed, total: t.evaluation.total, repeats: t.evaluation.repeats, tokens: t.evaluation.tokens, modelMs: Math.round(t.evaluation.modelMs) } : {}),
    },
    at: new Date().toISOString(),
  };
}

/** The round's winning variant committed as generation `generation`, its A/B figures in an `Evolve-AB` trailer. */
async function commitVariant(root: string, branch: string, ws: Workspace, generation: number, base: AgentEvaluation, winner: TriedVariant, run: { model: string; candidates: number }): Promise<TunedGeneration> {
  const next = winner.evaluation!;
  const ab = winner.ab!;
  const summary = abSummary(ab);
  const record: GenerationRecord = {
    generation,
    action: winner.variant.action,
    summary: winner.variant.description,
    details: [`- ${winner.variant.description}`, `- A/B against the tip on ${ab.pairs.length} paired case runs: ${ab.wins} wins, ${ab.losses} losses, ${ab.ties} ties; sign test p = ${summary.p}, Wilcoxon p = ${summary.wilcoxonP}`],
    parent: agentMeasurement(base),
    measurement: agentMeasurement(next),
    fixed: fixedCases(base, next),
    proposer: "tune",
    operator: winner.variant.operator,
    suiteHash: `agent:${ws.suite.hash}`,
    model: run.model,
    seed: agentParams(winner.files).seed ?? 0,
    candidates: run.candidates,
  };
  const committed = await commitGeneration(root, { branch, parent: ws.commit, changes: winner.variant.changes, record, extraTrailers: [[AB_TRAILER, JSON.stringify(summary)]] });
  return { generation, commit: committed.commit, tag: committed.tag, action: winner.variant.action, operator: winner.variant.operator, description: winner.variant.description, parentScore: base.score, score: next.score, ab: summary };
}
