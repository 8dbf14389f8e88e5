/**
 * Plain statistics shared by whatever measures evolve's agent: quantiles, the normal distribution,
 * Wilson intervals for rates, the two-proportion z-test and the Mann-Whitney U test. Pure and
 * dependency-free, so any layer may use them.
 */

/** Standard normal quantile for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** The q-quantile (0..1) of values sorted ascending, linear between order statistics (numpy's default); NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new Error(`quantileSorted: q must be within 0..1, got ${q}`);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * Moves the k-th smallest value (0-based) of `a` to a[k], smaller ones before it and larger ones after
 * (Hoare's selection, median-of-three pivots): expected linear time, against n log n for a sort.
 */
function selectInPlace(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot, so sorted and reversed input stay linear.
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

/**
 * Quantiles of unsorted values, the same as quantileSorted gives after a sort, by selection instead
 * (it reorders `values`). NaN for each q when empty.
 */
export function quantilesInPlace(values: Float64Array, qs: readonly number[]): number[] {
  const n = values.length;
  return qs.map((q) => {
    if (n === 0) return Number.NaN;
    if (!(q >= 0 && q <= 1)) throw new Error(`quantilesInPlace: q must be within 0..1, got ${q}`);
    const at = (n - 1) * q;
    const lo = Math.floor(at);
    const low = selectInPlace(values, lo);
    if (at === lo) return low;
    // After selecting lo, everything right of it is >= it: the next order statistic is their minimum.
    let next = Infinity;
    for (let i = lo + 1; i < n; i++) if (values[i]! < next) next = values[i]!;
    return low + (next - low) * (at - lo);
  });
}

/** An ascending Float64Array copy of `xs`; input already in order (the common case here) is not sorted again. */
export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(xs);
  for (let i = 1; i < out.length; i++) if (out[i - 1]! > out[i]!) return out.sort();
  return out;
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/**
 * erfc(x) for x >= 0: a positive-term series below 3 (no cancellation), a continued fraction
 * (modified Lentz) above; both accurate to about 1e-14.
 */
function erfcPositive(x: number): number {
  if (x < 3) {
    // erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const x = Math.abs(z) / Math.SQRT2;
  const upper = 0.5 * erfcPositive(x); // P(Z >= |z|)
  return z >= 0 ? 1 - upper : upper;
}

/** P(Z >= z) for a standard normal Z, without the cancellation of 1 - normalCdf(z) in the upper tail. */
export function normalUpperTail(z: number): number {
  return normalCdf(-z);
}

/** An interval and the estimate inside it. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/**
 * Wilson score interval of a proportion (95% by default): honest near 0 and 1 and for small n,
 * where the normal interval is not. With n = 0 the estimate is NaN and the interval 0..1.
 */
export function wilsonInterval(successes: number, n: number, z = Z95): Interval {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || n < 0 || successes > n) {
    throw new Error(`wilsonInterval: expected whole numbers 0 <= successes <= n, got ${successes} of ${n}`);
  }
  if (n === 0) return { estimate: Number.NaN, low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Normal-approximation interval of a mean (95% by default); NaN bounds with fewer than two values. */
export function meanInterval(values: ArrayLike<number>, z = Z95): Interval {
  const m = mean(values);
  if (values.length < 2) return { estimate: m, low: Number.NaN, high: Number.NaN };
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - m) ** 2;
  const se = Math.sqrt(ss / (values.length - 1) / values.length);
  return { estimate: m, low: m - z * se, high: m + z * se };
}

/** A test's statistic and its p-values; `greater` is the evidence that the second sample is larger. */
export interface TestResult {
  statistic: number;
  /** Standardised statistic (z); for an exact test, the z the normal approximation would give. */
  z: number;
  /** One-sided p-value for "the second sample is larger than the first". */
  pGreater: number;
  /** One-sided p-value for "the second sample is smaller than the first". */
  pLess: number;
  /** Two-sided p-value. */
  pTwoSided: number;
}

/**
 * Two-proportion z-test with the pooled standard error: first x1 of n1, second x2 of n2. The
 * statistic is p2 - p1. When both proportions are 0 or both 1 there is no evidence either way (p = 1).
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): TestResult {
  for (const [x, n] of [[x1, n1], [x2, n2]] as const) {
    if (!Number.isInteger(x) || !Number.isInteger(n) || n < 1 || x < 0 || x > n) throw new Error(`twoProportionZTest: expected whole numbers 0 <= x <= n, n >= 1, got ${x} of ${n}`);
  }
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: p2 - p1, z: 0, pGreater: 1, pLess: 1, pTwoSided: 1 };
  const z = (p2 - p1) / se;
  return { statistic: p2 - p1, z, pGreater: normalUpperTail(z), pLess: normalCdf(z), pTwoSided: Math.min(1, 2 * normalUpperTail(Math.abs(z))) };
}

/** Mann-Whitney U with how it was computed. */
export interface MannWhitneyResult extends TestResult {
  /** U of the second sample: pairs (x, y) with y > x, ties counting one half. */
  statistic: number;
  n1: number;
  n2: number;
  /** True when the p-values come from the exact distribution (no ties, small samples). */
  exact: boolean;
}

/** Largest n1 + n2 for the exact distribution: counts stay exact in doubles up to C(50, 25). */
export const MANN_WHITNEY_EXACT_MAX = 50;

/**
 * The rank sum of y in the pooled samples (average ranks for ties, 1-based) and the tie groups'
 * sizes: both sorted as typed arrays, then merged, so 100,000 values cost two numeric sorts.
 */
function poolRanks(x: ArrayLike<number>, y: ArrayLike<number>): { rankSumY: number; ties: number[] } {
  const xs = sortedCopy(x);
  const ys = sortedCopy(y);
  let i = 0;
  let j = 0;
  let next = 1;
  let rankSumY = 0;
  const ties: number[] = [];
  while (i < xs.length || j < ys.length) {
    const v = j >= ys.length || (i < xs.length && xs[i]! <= ys[j]!) ? xs[i]! : ys[j]!;
    let cx = 0;
    let cy = 0;
    while (i < xs.length && xs[i] === v) (i++, cx++);
    while (j < ys.length && ys[j] === v) (j++, cy++);
    const t = cx + cy;
    rankSumY += cy * (next + (t - 1) / 2);
    if (t > 1) ties.push(t);
    next += t;
  }
  return { rankSumY, ties };
}

/**
 * Counts of each U value (0..m*n) over all arrangements of m and n untied values: the coefficients
 * of the Gaussian binomial [m+n choose m]_q, built as prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i).
 */
function exactUCounts(m: number, n: number): number[] {
  const c = new Array<number>(m * n + 1).fill(0);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    const shift = n + i;
    for (let k = c.length - 1; k >= shift; k--) c[k]! -= c[k - shift]!;
    for (let k = i; k < c.length; k++) c[k]! += c[k - i]!;
  }
  return c;
}

/**
 * Mann-Whitney U test of x (first) against y (second), two independent samples. Exact p-values
 * when there are no ties and n1 + n2 <= MANN_WHITNEY_EXACT_MAX; otherwise the normal approximation
 * with the tie-corrected variance and a continuity correction of 1/2.
 */
export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error(`mannWhitneyU: both samples need values, got ${n1} and ${n2}`);
  for (const s of [x, y]) for (let i = 0; i < s.length; i++) if (Number.isNaN(s[i])) throw new Error("mannWhitneyU: NaN in a sample");
  const { rankSumY, ties } = poolRanks(x, y);
  const u = rankSumY - (n2 * (n2 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const N = n1 + n2;
  const tieTerm = ties.reduce((s, t) => s + (t * t * t - t), 0);
  const sigma = Math.sqrt(((n1 * n2) / 12) * (N + 1 - tieTerm / (N * (N - 1))));
  const zOf = (d: number): number => (sigma === 0 ? 0 : d / sigma);
  const z = zOf(u - mu);
  if (ties.length === 0 && N <= MANN_WHITNEY_EXACT_MAX) {
    const counts = exactUCounts(n1, n2);
    const total = counts.reduce((s, v) => s + v, 0);
    let atLeast = 0;
    for (let k = Math.round(u); k < counts.length; k++) atLeast += counts[k]!;
    let atMost = 0;
    for (let k = 0; k <= Math.round(u); k++) atMost += counts[k]!;
    const pGreater = atLeast / total;
    const pLess = atMost / total;
    return { statistic: u, z, n1, n2, exact: true, pGreater, pLess, pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)) };
  }
  if (sigma === 0) return { statistic: u, z: 0, n1, n2, exact: false, pGreater: 1, pLess: 1, pTwoSided: 1 };
  const pGreater = normalUpperTail(zOf(u - mu - 0.5));
  const pLess = normalCdf(zOf(u - mu + 0.5));
  const pTwoSided = Math.min(1, 2 * normalUpperTail(zOf(Math.max(0, Math.abs(u - mu) - 0.5))));
  return { statistic: u, z, n1, n2, exact: false, pGreater, pLess, pTwoSided };
}
