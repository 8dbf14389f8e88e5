/**
 * The loop's hook into the learning memory (memory/): the situation of a round (what fails, where
 * the search edits first), how the round's candidates turned out, and the recalled outcomes as
 * operator factors and plan lines. Kept apart from the controller so its call sites stay three
 * lines: build the situation, order by the factors, record the outcomes.
 */
import type { FileMap } from "../kernel/files.js";
import type { GoldenCase } from "../golden-tests/index.js";
import { memoryFactors, situationOf, type MemoryEntry, type Recalled, type Situation } from "../memory/situation.js";
import type { LearningMemory } from "../memory/store.js";

/** Lines of code read on each side of the first edit's line for the situation's shape. */
const CONTEXT_LINES = 1;

/** What a round's candidate became, as the hook needs it (the controller's Tried fits). */
export interface TriedLike {
  candidate: { origin: { operator: string; description: string } };
  stage: string;
  verdict: { accept: boolean; fixed: readonly string[]; delta: number } | null;
}

/**
 * The round's situation: a failing train case (the first whose tool the first edit's file defines,
 * else the first) and the code where the first edit lands.
 */
export function roundSituation(
  results: ReadonlyArray<{ id: string; pass: boolean; reason: string }>,
  cases: readonly GoldenCase[],
  files: FileMap,
  first: { file: string; line: number } | undefined,
): Situation | null {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const train = results.filter((r) => !r.pass && byId.get(r.id)?.split !== "holdout");
  const text = first === undefined ? undefined : files.get(first.file);
  // The failing case whose tool is defined where the search edits first, so tool and code shape agree.
  const defines = (tool: string): boolean => text !== undefined && tool !== "" && new RegExp(`\\b(?:function\\s+${escape(tool)}\\b|${escape(tool)}\\s*=)`).test(text);
  const failing = train.find((r) => defines(byId.get(r.id)?.tool ?? "")) ?? train[0];
  if (failing === undefined) return null;
  const lines = text === undefined || first === undefined ? [] : text.split("\n").slice(Math.max(0, first.line - 1 - CONTEXT_LINES), first.line + CONTEXT_LINES);
  return situationOf(byId.get(failing.id)?.tool ?? "", failing.reason, lines);
}

function escape(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Operator factors and what was recalled, for a situation (empty without memory or situation). */
export function recall(memory: LearningMemory | undefined, s: Situation | null): { recalled: Recalled[]; factors: Record<string, number> } {
  if (memory === undefined || s === null) return { recalled: [], factors: {} };
  const recalled = memory.querySimilar(s);
  return { recalled, factors: memoryFactors(recalled) };
}

/** Plan lines saying what worked in similar situations, for people and for the model's prompt. */
export function recallPlan(recalled: readonly Recalled[]): string[] {
  const good = recalled.filter((r) => r.outcome === "repaired" || r.outcome === "accepted").slice(0, 3);
  return good.map((r) => `in a similar situation before (similarity ${r.similarity}), ${r.operator} repaired it: ${r.description}`);
}

/** The round's outcomes as memory entries: each candidate that reached the judge or a gate. */
export function roundOutcomes(s: Situation | null, tried: readonly TriedLike[], winner: TriedLike | null, at = Date.now()): MemoryEntry[] {
  if (s === null) return [];
  return tried.map((t) => ({
    situation: s,
    operator: t.candidate.origin.operator,
    description: t.candidate.origin.description,
    outcome: t === winner ? "accepted" : (t.verdict?.fixed.length ?? 0) > 0 ? "repaired" : t.verdict === null ? "refused" : "no-gain",
    delta: t.verdict?.delta ?? 0,
    at,
  }));
}

/**
 * The situation of a tuning round: the largest prompt/parameter failure cluster's kind (no tool,
 * no code shape: the agent as a whole failed). Null when no such cluster exists.
 */
export function tuningSituation(clusters: ReadonlyArray<{ target: string; kind: string }>): Situation | null {
  const top = clusters.find((c) => c.target === "prompt-params");
  return top === undefined ? null : { tool: "", failureKind: top.kind, assertion: "agent", shape: [] };
}

/** Variants (or anything with an operator) stably reordered by memory factors, highest first. */
export function orderByMemory<T extends { operator: string }>(items: readonly T[], factors: Readonly<Record<string, number>>): T[] {
  return items
    .map((item, i) => ({ item, i, k: factors[item.operator] ?? 1 }))
    .sort((a, b) => b.k - a.k || a.i - b.i)
    .map((x) => x.item);
}
