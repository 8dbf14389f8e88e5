/**
 * Paired A/B comparison of two variants on the same cases: A is the current tip, B the variant.
 * Each pair is one case at one repeat (same request, same seed), so case difficulty cancels out and
 * only the variant's effect is left. Pure: no model, no git.
 */

/** One variant's score on one case at one repeat. */
export interface CaseScore {
  id: string;
  /** 0-based repeat index (0 when sampling is deterministic). */
  repeat: number;
  /** 0..1. */
  score: number;
}

/** A case at a repeat, scored under both variants. */
export interface Pair {
  id: string;
  repeat: number;
  a: number;
  b: number;
}

/** The win/loss table and its significance. A win is a pair where B scores above A. */
export interface AbResult {
  wins: number;
  losses: number;
  ties: number;
  /** Exact two-sided sign test p-value over wins and losses (ties dropped); 1 when all pairs tie. */
  p: number;
  /** Two-sided Wilcoxon signed-rank p-value of the differences (exact up to 200 non-zero pairs); 1 when all tie. */
  wilcoxonP: number;
  /** Mean of b - a over all pairs. */
  meanDelta: number;
  pairs: Pair[];
}

const EXACT_WILCOXON_MAX = 200;

/** Pairs two runs by case id and repeat; both must cover exactly the same (id, repeat) keys. */
export function pairScores(a: readonly CaseScore[], b: readonly CaseScore[]): Pair[] {
  const key = (s: CaseScore): string => `${s.id}\u0000${s.repeat}`;
  const byKey = new Map<string, CaseScore>();
  for (const s of b) {
    if (byKey.has(key(s))) throw new Error(`pairScores: variant B has two scores for case "${s.id}" repeat ${s.repeat}`);
    byKey.set(key(s), s);
  }
  const seen = new Set<string>();
  const pairs = a.map((s): Pair => {
    const k = key(s);
    if (seen.has(k)) throw new Error(`pairScores: variant A has two scores for case "${s.id}" repeat ${s.repeat}`);
    seen.add(k);
    const other = byKey.get(k);
    if (!other) throw new Error(`pairScores: case "${s.id}" repeat ${s.repeat} was scored for A but not for B`);
    return { id: s.id, repeat: s.repeat, a: s.score, b: other.score };
  });
  const extra = b.find((s) => !seen.has(key(s)));
  if (extra) throw new Error(`pairScores: case "${extra.id}" repeat ${extra.repeat} was scored for B but not for A`);
  return pairs;
}

/** log(n choose k), so large n neither overflows nor loses the small tail. */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Exact two-sided sign test: P(a split at least this uneven | wins and losses equally likely). */
export function signTestP(wins: number, losses: number): number {
  if (!Number.isInteger(wins) || !Number.isInteger(losses) || wins < 0 || losses < 0) throw new Error(`signTestP: wins and losses must be whole numbers >= 0, got ${wins}, ${losses}`);
  const n = wins + losses;
  if (n === 0) return 1;
  const k = Math.min(wins, losses);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/**
 * Two-sided Wilcoxon signed-rank test. Zero differences are dropped; tied magnitudes share their
 * mean rank. Exact null distribution (every sign pattern equally likely) up to 200 pairs, computed
 * on doubled ranks so mean ranks stay integers; a normal approximation with tie correction above.
 */
export function wilcoxonP(diffs: readonly number[]): number {
  const nz = diffs.filter((d) => d !== 0 && Number.isFinite(d));
  const n = nz.length;
  if (n === 0) return 1;
  const order = nz.map((d) => ({ m: Math.abs(d), pos: d > 0 })).sort((x, y) => x.m - y.m);
  const doubled = new Array<number>(n).fill(0);
  const tieSizes: number[] = [];
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && order[e + 1]!.m === order[s]!.m) e++;
    // Ranks s+1..e+1 averaged, doubled: (s+1) + (e+1).
    for (let j = s; j <= e; j++) doubled[j] = s + e + 2;
    tieSizes.push(e - s + 1);
    s = e + 1;
  }
  let wPlus = 0;
  order.forEach((o, j) => {
    if (o.pos) wPlus += doubled[j]!;
  });
  const total = doubled.reduce((x, y) => x + y, 0);
  if (n <= EXACT_WILCOXON_MAX) {
    // dist[s] = P(doubled W+ = s) under the null.
    let dist = new Float64Array(total + 1);
    dist[0] = 1;
    for (const r of doubled) {
      const next = new Float64Array(total + 1);
      for (let s = 0; s <= total; s++) {
        const p = dist[s]!;
        if (p === 0) continue;
        next[s] = next[s]! + p / 2;
        next[s + r] = next[s + r]! + p / 2;
      }
      dist = next;
    }
    let low = 0;
    let high = 0;
    for (let s = 0; s <= total; s++) {
      if (s <= wPlus) low += dist[s]!;
      if (s >= wPlus) high += dist[s]!;
    }
    return Math.min(1, 2 * Math.min(low, high));
  }
  const mean = total / 2; // E[W+] = n(n+1)/4; doubled, half the doubled rank total
  const tieCorrection = tieSizes.reduce((s, t) => s + t * t * t - t, 0) / 48;
  const sd = 2 * Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieCorrection);
  if (sd === 0) return 1;
  const z = (Math.abs(wPlus - mean) - 1) / sd; // continuity correction of one doubled unit
  return Math.min(1, 2 * normalUpperTail(Math.max(0, z)));
}

/**
 * P(Z > z) for z >= 0, computed as a tail (not 1 - CDF) so small p-values do not round to 0.
 * Abramowitz and Stegun 7.1.26 for erfc (relative error small enough for a significance figure).
 */
function normalUpperTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return (poly * Math.exp(-x * x)) / 2;
}

/** The win/loss table of B against A over paired scores, with both p-values. */
export function abTest(pairs: readonly Pair[]): AbResult {
  let wins = 0;
  let losses = 0;
  let ties = 0;
  let sum = 0;
  for (const p of pairs) {
    const d = p.b - p.a;
    if (d > 0) wins++;
    else if (d < 0) losses++;
    else ties++;
    sum += d;
  }
  return {
    wins,
    losses,
    ties,
    p: signTestP(wins, losses),
    wilcoxonP: wilcoxonP(pairs.map((p) => p.b - p.a)),
    meanDelta: pairs.length ? sum / pairs.length : 0,
    pairs: [...pairs],
  };
}

/** Whether a p-value clears the significance level (p <= alpha). */
export function significant(p: number, alpha = 0.05): boolean {
  if (!(alpha > 0 && alpha < 1)) throw new Error(`significant: alpha must be between 0 and 1, got ${alpha}`);
  return p <= alpha;
}

/** B is a significant improvement over A: more wins than losses, and the sign test clears alpha. */
export function isImprovement(r: AbResult, alpha = 0.05): boolean {
  return r.wins > r.losses && significant(r.p, alpha);
}

/** The compact figure recorded in the Evolve-AB trailer and in attempts. */
export function abSummary(r: AbResult): { wins: number; losses: number; ties: number; p: number; wilcoxonP: number } {
  const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;
  return { wins: r.wins, losses: r.losses, ties: r.ties, p: r6(r.p), wilcoxonP: r6(r.wilcoxonP) };
}
