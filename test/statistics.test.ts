/**
 * kernel/statistics.ts against values computed by hand (the arithmetic is in the comments) and
 * cross-checked with scipy.stats 1.17 (norm, mannwhitneyu); a test that could pass with a wrong
 * formula would need both to be wrong the same way.
 */
import { describe, expect, it } from "vitest";
import { MANN_WHITNEY_EXACT_MAX, mannWhitneyU, meanInterval, normalCdf, normalUpperTail, quantileSorted, quantilesInPlace, twoProportionZTest, wilsonInterval } from "../kernel/statistics.js";

describe("normal distribution", () => {
  it("matches tabulated values in the centre and far in the tails", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 15);
    expect(normalCdf(2.5)).toBeCloseTo(0.9937903346742238, 14);
    // The upper tail keeps its precision where 1 - cdf would round to 0.
    expect(normalUpperTail(6) / 9.865876450377e-10).toBeCloseTo(1, 10);
    expect(normalUpperTail(10)).toBeGreaterThan(0);
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
  });
});

describe("quantiles and intervals", () => {
  it("interpolates between order statistics like numpy", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    // p95 of 1..4: position 3 * 0.95 = 2.85, between 3 and 4.
    expect(quantileSorted([1, 2, 3, 4], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantileSorted([7], 0.95)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("selection gives the same quantiles as a sort, for shuffled, sorted, reversed and tied input", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const inputs: number[][] = [[], [5], [2, 1], [3, 3, 3, 3], Array.from({ length: 1000 }, (_, i) => i), Array.from({ length: 999 }, (_, i) => 999 - i)];
    for (let t = 0; t < 30; t++) inputs.push(Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 20) * (rnd() < 0.5 ? 1 : 1.5)));
    for (const xs of inputs) {
      const sorted = Float64Array.from(xs).sort();
      const qs = [0, 0.1, 0.5, 0.95, 1];
      expect(quantilesInPlace(Float64Array.from(xs), qs)).toEqual(qs.map((q) => quantileSorted(sorted, q)));
    }
  });

  it("Wilson interval of 8 of 10", () => {
    // z^2 = 3.8415; centre = (0.8 + 3.8415/20) / (1 + 3.8415/10) = 0.716738;
    // half = 1.96/1.38415 * sqrt(0.016 + 3.8415/400) = 0.226577 -> 0.490162 .. 0.943318
    const w = wilsonInterval(8, 10);
    expect(w.estimate).toBe(0.8);
    expect(w.low).toBeCloseTo(0.490162, 5);
    expect(w.high).toBeCloseTo(0.943318, 5);
    expect(wilsonInterval(0, 20).low).toBe(0);
    expect(wilsonInterval(0, 20).high).toBeCloseTo(0.161125, 5); // 3.8415 / 23.8415
    expect(wilsonInterval(0, 0)).toEqual({ estimate: Number.NaN, low: 0, high: 1 });
    expect(() => wilsonInterval(3, 2)).toThrow(/0 <= successes <= n/);
  });

  it("normal interval of a mean", () => {
    // mean 3, sample sd = sqrt(2.5) = 1.5811, se = 0.70711, half = 1.95996 * 0.70711 = 1.38590
    const m = meanInterval([1, 2, 3, 4, 5]);
    expect(m.estimate).toBe(3);
    expect(m.low).toBeCloseTo(1.6141, 4);
    expect(m.high).toBeCloseTo(4.3859, 4);
  });
});

describe("two-proportion z-test", () => {
  it("2/100 against 12/100", () => {
    // pooled 14/200 = 0.07; se = sqrt(0.07 * 0.93 * (1/100 + 1/100)) = 0.0360832; z = 0.10 / 0.0360832 = 2.77137
    const t = twoProportionZTest(2, 100, 12, 100);
    expect(t.z).toBeCloseTo(2.77137, 5);
    expect(t.pGreater).toBeCloseTo(0.0027910, 6);
    expect(t.pLess).toBeCloseTo(1 - 0.0027910, 6);
    expect(t.pTwoSided).toBeCloseTo(0.0055821, 6);
  });

  it("no evidence either way when both proportions are 0 or 1", () => {
    expect(twoProportionZTest(0, 40, 0, 50)).toMatchObject({ z: 0, pGreater: 1, pLess: 1, pTwoSided: 1 });
    expect(twoProportionZTest(40, 40, 50, 50).pGreater).toBe(1);
    expect(() => twoProportionZTest(1, 0, 1, 2)).toThrow(/n >= 1/);
  });
});

describe("Mann-Whitney U", () => {
  it("exact distribution for small samples without ties", () => {
    // y above every x: U_y = 9 of 9; one arrangement of C(6,3) = 20 is that extreme.
    const a = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(a).toMatchObject({ statistic: 9, exact: true, pGreater: 0.05, pLess: 1, pTwoSided: 0.1 });
    // Interleaved: y ranks 2, 4, 6 -> R = 12, U = 12 - 6 = 6. U counts for m = n = 3 are the
    // coefficients of [6 choose 3]_q: 1 1 2 3 3 3 3 2 1 1, so P(U >= 6) = (3+2+1+1)/20 = 0.35.
    const b = mannWhitneyU([1, 3, 5], [2, 4, 6]);
    expect(b).toMatchObject({ statistic: 6, exact: true, pGreater: 0.35, pLess: 0.8, pTwoSided: 0.7 });
    // 12 against 13 values (scipy method="exact": 0.05477414764532814)
    const c = mannWhitneyU([0.3, 1.2, 2.5, 3.1, 4.4, 5.9, 6.2, 7.7, 8.1, 9.05, 10.6, 11.3], [2.05, 3.3, 4.9, 5.1, 6.8, 7.9, 8.8, 9.9, 10.2, 11.9, 12.4, 13.3, 14.1]);
    expect(c.exact).toBe(true);
    expect(c.statistic).toBe(108);
    expect(c.pGreater).toBeCloseTo(0.05477414764532814, 12);
  });

  it("normal approximation with tie correction and continuity correction", () => {
    // Pooled: 1(x) 2(x) 2(x) 2(y) 3(x) 3(y) 4(y) 5(y); ranks of the 2s are 3, of the 3s 5.5.
    // R_y = 3 + 5.5 + 7 + 8 = 23.5, U_y = 23.5 - 10 = 13.5, mu = 8.
    // sigma^2 = 16/12 * (9 - (24 + 6) / 56) = 11.285714; z = (13.5 - 8 - 0.5) / 3.359422 = 1.488351
    const t = mannWhitneyU([1, 2, 2, 3], [2, 3, 4, 5]);
    expect(t.exact).toBe(false);
    expect(t.statistic).toBe(13.5);
    expect(t.pGreater).toBeCloseTo(0.0683291238690737, 12);
    expect(t.pTwoSided).toBeCloseTo(0.1366582477381475, 12);
    expect(t.pLess).toBeCloseTo(0.9629521255093261, 12);
  });

  it("switches to the approximation above the exact size and survives all-tied samples", () => {
    const x = Array.from({ length: 30 }, (_, i) => i);
    const y = Array.from({ length: MANN_WHITNEY_EXACT_MAX - 29 }, (_, i) => i + 0.5);
    expect(mannWhitneyU(x, y).exact).toBe(false);
    expect(mannWhitneyU([5, 5, 5], [5, 5])).toMatchObject({ pGreater: 1, pLess: 1, pTwoSided: 1 });
    expect(() => mannWhitneyU([], [1])).toThrow(/both samples/);
  });
});
