/**
 * Situations and their similarity, for the learning memory. A situation is what the loop faced when
 * it chose what to try: the failing tool, how it failed (a call failure's kind, or a wrong output),
 * which assertion caught it, and the shape of the code around the most suspicious lines (tokens with
 * names and literals blanked, so `i < xs.length` in one tool looks like `j < items.length` in
 * another). Pure: the store keeps them, the loop builds them.
 */

/** What the loop faced. */
export interface Situation {
  /** The failing case's tool; "" when unknown. */
  tool: string;
  /** `throw`, `timeout`, ... for a call that failed; `wrong-output` when the call returned something else. */
  failureKind: string;
  /** The first failing assertion's type (`equals`, `contains`, ...). */
  assertion: string;
  /** Token bigrams of the code around the suspicious lines (see codeShape). */
  shape: string[];
}

/** One past outcome: in a situation, an action was tried and this happened. */
export interface MemoryEntry {
  situation: Situation;
  /** The operator (or `llm-edit`, or a tuning variant's operator) and a one-line description. */
  operator: string;
  description: string;
  /** `repaired`: it made a failing case pass; `accepted`: it became a generation; otherwise it did not help. */
  outcome: "repaired" | "accepted" | "no-gain" | "refused";
  /** Train score change it made (0 when it was not measured). */
  delta: number;
  /** Epoch ms. */
  at: number;
}

/** A past entry with how similar its situation is to the one asked about (0..1). */
export interface Recalled extends MemoryEntry {
  similarity: number;
}

// How much each part of a situation counts: the code's shape most, since similar defects look alike
// even in differently named tools.
const WEIGHTS = { tool: 0.15, failureKind: 0.2, assertion: 0.15, shape: 0.5 } as const;

/** 0..1: weighted agreement of the parts; the shapes by Jaccard similarity of their bigrams. */
export function similarity(a: Situation, b: Situation): number {
  const same = (x: string, y: string): number => (x !== "" && x === y ? 1 : 0);
  return WEIGHTS.tool * same(a.tool, b.tool) + WEIGHTS.failureKind * same(a.failureKind, b.failureKind) + WEIGHTS.assertion * same(a.assertion, b.assertion) + WEIGHTS.shape * jaccard(a.shape, b.shape);
}

function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  const sa = new Set(a);
  const sb = new Set(b);
  let both = 0;
  for (const x of sa) if (sb.has(x)) both++;
  return both / (sa.size + sb.size - both);
}

const KEYWORDS = new Set(["if", "else", "for", "while", "do", "return", "const", "let", "var", "of", "in", "new", "typeof", "break", "continue", "switch", "case", "throw", "true", "false", "null", "undefined", "length", "slice", "push", "map", "filter", "reduce", "split", "join", "trim", "indexOf", "includes", "Math", "min", "max", "floor", "round"]);

/**
 * The code's shape: its tokens with identifiers as `id` (keywords and common members kept),
 * numbers as `0`/`1`/`n`, strings as `s`; then adjacent pairs, so order matters a little. At most
 * 200 characters of each of the given lines are read.
 */
export function codeShape(lines: readonly string[]): string[] {
  const tokens: string[] = [];
  for (const line of lines) {
    for (const m of line.slice(0, 200).matchAll(/[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|[<>=!]=?=?|&&|\|\||\+\+|--|[-+*/%?:.,;()[\]{}]/g)) {
      const t = m[0];
      if (/^[A-Za-z_$]/.test(t)) tokens.push(KEYWORDS.has(t) ? t : "id");
      else if (/^\d/.test(t)) tokens.push(t === "0" || t === "1" ? t : "n");
      else if (/^["'`]/.test(t)) tokens.push("s");
      else tokens.push(t);
    }
  }
  const out = new Set<string>();
  for (let i = 1; i < tokens.length; i++) out.add(`${tokens[i - 1]} ${tokens[i]}`);
  return [...out].sort();
}

/**
 * The situation of a failing case from its result line (`assert[0] equals: ...`, or a call that
 * failed: `assert[0] equals: call failed (timeout): ...`) and the code lines around where the
 * search will edit first.
 */
export function situationOf(tool: string, reason: string, lines: readonly string[]): Situation {
  const assertion = /^assert\[\d+\] ([\w-]+):/.exec(reason)?.[1] ?? "";
  const failed = /call failed(?: with)? \(?([\w-]+)\)?/.exec(reason)?.[1];
  return { tool, failureKind: failed ?? "wrong-output", assertion, shape: codeShape(lines) };
}

/** Entries ranked by similarity to `s`, most similar (then newest) first; those below `min` left out. */
export function rankSimilar(entries: readonly MemoryEntry[], s: Situation, limit = 20, min = 0.2): Recalled[] {
  return entries
    .map((e) => ({ ...e, similarity: round3(similarity(e.situation, s)) }))
    .filter((e) => e.similarity >= min)
    .sort((a, b) => b.similarity - a.similarity || b.at - a.at)
    .slice(0, limit);
}

/**
 * Multipliers per operator from recalled outcomes, for ordering candidates: an operator that
 * repaired similar situations rises (up to 4x), one that was tried there often without gain sinks
 * (down to 0.5x); operators never tried in similar situations stay at 1. Each entry counts by its
 * similarity; composed operators ("a+b") credit each part.
 */
export function memoryFactors(recalled: readonly Recalled[]): Record<string, number> {
  const acc = new Map<string, { good: number; seen: number }>();
  for (const r of recalled) {
    for (const op of r.operator.split("+")) {
      const s = acc.get(op) ?? { good: 0, seen: 0 };
      s.seen += r.similarity;
      if (r.outcome === "repaired" || r.outcome === "accepted") s.good += r.similarity;
      acc.set(op, s);
    }
  }
  const out: Record<string, number> = {};
  // Laplace-smoothed success rate against an even prior, scaled so a clear success weighs 4x.
  for (const [op, s] of acc) out[op] = Math.min(4, Math.max(0.5, round3(((s.good + 0.5) / (s.seen + 1)) * 2 * (1 + Math.min(1, s.good)))));
  return out;
}

/** Combines two factor tables by multiplying (an operator missing from one counts 1 there). */
export function combineFactors(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = round3((out[k] ?? 1) * v);
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
