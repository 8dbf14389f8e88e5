/**
 * Metric data by column: one typed array per figure, one entry per completed interaction. Statistics
 * over 100,000 interactions stay fast this way: numeric sorts of typed arrays, no object per row.
 * Unknown values are NaN. Pure.
 */
import type { MetricRow } from "./types.js";

export interface MetricColumns {
  readonly n: number;
  /** Epoch ms. */
  readonly startedAt: Float64Array;
  /** NaN when unknown. */
  readonly generation: Float64Array;
  /** 1 when the request got an answer. */
  readonly answered: Uint8Array;
  readonly totalMs: Float64Array;
  /** NaN when no answer text was shown. */
  readonly firstTokenMs: Float64Array;
  /** Generated tokens per second of model time; NaN when there were no tokens or no model time. */
  readonly tokensPerSecond: Float64Array;
  /** The latest explicit rating 1..5; NaN when nobody rated it. */
  readonly rating: Float64Array;
  /** 1 when the same question followed soon after. */
  readonly askedAgain: Uint8Array;
}

type Mutable = { -readonly [K in keyof MetricColumns]: MetricColumns[K] };

export function allocateColumns(n: number): MetricColumns {
  return {
    n,
    startedAt: new Float64Array(n),
    generation: new Float64Array(n),
    answered: new Uint8Array(n),
    totalMs: new Float64Array(n),
    firstTokenMs: new Float64Array(n),
    tokensPerSecond: new Float64Array(n),
    rating: new Float64Array(n),
    askedAgain: new Uint8Array(n),
  };
}

const orNaN = (v: number | null): number => (v === null ? Number.NaN : v);

/** Columns of row objects (tests, callers that build samples by hand). */
export function toColumns(rows: readonly MetricRow[]): MetricColumns {
  const c = allocateColumns(rows.length) as Mutable;
  rows.forEach((r, i) => {
    c.startedAt[i] = r.startedAt;
    c.generation[i] = orNaN(r.generation);
    c.answered[i] = r.status === "answered" ? 1 : 0;
    c.totalMs[i] = r.totalMs;
    c.firstTokenMs[i] = orNaN(r.firstTokenMs);
    c.tokensPerSecond[i] = r.modelMs > 0 && r.tokensOut > 0 ? r.tokensOut / (r.modelMs / 1000) : Number.NaN;
    c.rating[i] = orNaN(r.rating);
    c.askedAgain[i] = r.askedAgain ? 1 : 0;
  });
  return c;
}

/** The rows at `indices`, in that order. */
export function pickRows(c: MetricColumns, indices: ArrayLike<number>): MetricColumns {
  const out = allocateColumns(indices.length) as Mutable;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    out.startedAt[k] = c.startedAt[i]!;
    out.generation[k] = c.generation[i]!;
    out.answered[k] = c.answered[i]!;
    out.totalMs[k] = c.totalMs[i]!;
    out.firstTokenMs[k] = c.firstTokenMs[i]!;
    out.tokensPerSecond[k] = c.tokensPerSecond[i]!;
    out.rating[k] = c.rating[i]!;
    out.askedAgain[k] = c.askedAgain[i]!;
  }
  return out;
}

/** The rows for which `keep` holds. */
export function filterRows(c: MetricColumns, keep: (i: number) => boolean): MetricColumns {
  const idx: number[] = [];
  for (let i = 0; i < c.n; i++) if (keep(i)) idx.push(i);
  return idx.length === c.n ? c : pickRows(c, idx);
}

/** Row i had no answer (an error, or none within the steps). */
export function isErrorAt(c: MetricColumns, i: number): boolean {
  return c.answered[i] !== 1;
}

/**
 * Row i's task succeeded: a person's rating decides when there is one (3 or more of 5); otherwise an
 * answer not followed by the same question again.
 */
export function isSuccessAt(c: MetricColumns, i: number): boolean {
  const r = c.rating[i]!;
  if (!Number.isNaN(r)) return r >= 3;
  return c.answered[i] === 1 && c.askedAgain[i] !== 1;
}

/** The values of `f` over the rows that are not NaN, in row order. */
export function knownValues(c: MetricColumns, f: (i: number) => number): Float64Array {
  const out = new Float64Array(c.n);
  let k = 0;
  for (let i = 0; i < c.n; i++) {
    const v = f(i);
    if (!Number.isNaN(v)) out[k++] = v;
  }
  return out.subarray(0, k);
}

/** The same, sorted ascending. */
export function sortedValues(c: MetricColumns, f: (i: number) => number): Float64Array {
  return knownValues(c, f).sort();
}
