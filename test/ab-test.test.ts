/** Paired A/B statistics: p-values checked against values computed by hand. */
import { describe, expect, it } from "vitest";
import { abSummary, abTest, isImprovement, pairScores, signTestP, significant, wilcoxonP } from "../tuning/ab-test.js";

describe("sign test (exact, two-sided)", () => {
  it("matches hand-computed binomial tails", () => {
    // 6-0: 2 * (1/2)^6 = 1/32
    expect(signTestP(6, 0)).toBeCloseTo(0.03125, 12);
    expect(signTestP(0, 6)).toBeCloseTo(0.03125, 12);
    // 5-1: 2 * (C(6,0) + C(6,1)) / 64 = 14/64
    expect(signTestP(5, 1)).toBeCloseTo(0.21875, 12);
    // 8-0: 2/256
    expect(signTestP(8, 0)).toBeCloseTo(0.0078125, 12);
    // 9-1: 2 * (1 + 10) / 1024
    expect(signTestP(9, 1)).toBeCloseTo(22 / 1024, 12);
    // an even split is capped at 1; no untied pair says nothing
    expect(signTestP(3, 3)).toBe(1);
    expect(signTestP(0, 0)).toBe(1);
  });

  it("stays accurate for many pairs (no overflow)", () => {
    // 100-0: 2 * 2^-100
    expect(signTestP(100, 0)).toBeCloseTo(2 * 2 ** -100, 40);
    expect(signTestP(500, 500)).toBe(1);
  });

  it("refuses counts that are not whole numbers", () => {
    expect(() => signTestP(1.5, 0)).toThrow(/whole numbers/);
    expect(() => signTestP(-1, 2)).toThrow(/whole numbers/);
  });
});

describe("Wilcoxon signed-rank (exact, two-sided)", () => {
  it("all five differences positive: 2/32", () => {
    expect(wilcoxonP([1, 2, 3, 4, 5])).toBeCloseTo(0.0625, 12);
  });

  it("[1, 2, 3, -4]: W+ = 6, P(W+ >= 6) = 7/16, p = 14/16", () => {
    expect(wilcoxonP([1, 2, 3, -4])).toBeCloseTo(0.875, 12);
  });

  it("drops zeros and averages tied ranks", () => {
    // zeros dropped -> three equal positive differences: ranks 2,2,2; W+ = 6 of max 6: P = 1/8, p = 1/4
    expect(wilcoxonP([0, 0.5, 0.5, 0.5, 0])).toBeCloseTo(0.25, 12);
    expect(wilcoxonP([0, 0])).toBe(1);
  });

  it("falls back to the normal approximation for many pairs and still finds a clear shift", () => {
    const diffs = Array.from({ length: 300 }, (_, i) => (i % 10 === 0 ? -1 : 1) * (1 + (i % 7)));
    const p = wilcoxonP(diffs);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-6);
    // symmetric differences: no shift, large p; approximation close to 1
    const symmetric = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + Math.floor(i / 2)));
    expect(wilcoxonP(symmetric)).toBeGreaterThan(0.5);
  });
});

describe("paired comparison", () => {
  const a = [
    { id: "x", repeat: 0, score: 0 },
    { id: "y", repeat: 0, score: 1 },
    { id: "z", repeat: 0, score: 0.5 },
  ];
  const b = [
    { id: "z", repeat: 0, score: 1 },
    { id: "x", repeat: 0, score: 1 },
    { id: "y", repeat: 0, score: 1 },
  ];

  it("pairs by case and repeat and counts wins, losses and ties", () => {
    const r = abTest(pairScores(a, b));
    expect(r.pairs.map((p) => [p.id, p.a, p.b])).toEqual([
      ["x", 0, 1],
      ["y", 1, 1],
      ["z", 0.5, 1],
    ]);
    expect([r.wins, r.losses, r.ties]).toEqual([2, 0, 1]);
    expect(r.p).toBeCloseTo(0.5, 12); // 2-0: 2 * 1/4
    expect(r.meanDelta).toBeCloseTo(0.5, 12);
    expect(isImprovement(r)).toBe(false);
    expect(abSummary(r)).toEqual({ wins: 2, losses: 0, ties: 1, p: 0.5, wilcoxonP: 0.5 });
  });

  it("accepts only a significant improvement, never a significant loss", () => {
    const base = Array.from({ length: 8 }, (_, i) => ({ id: `c${i}`, repeat: 0, score: 0 }));
    const better = base.map((s) => ({ ...s, score: 1 }));
    const up = abTest(pairScores(base, better));
    expect(up.p).toBeCloseTo(0.0078125, 12);
    expect(isImprovement(up, 0.05)).toBe(true);
    expect(isImprovement(up, 0.005)).toBe(false);
    const down = abTest(pairScores(better, base));
    expect(down.p).toBeCloseTo(0.0078125, 12);
    expect(isImprovement(down)).toBe(false);
  });

  it("refuses runs that do not cover the same case runs", () => {
    expect(() => pairScores(a, b.filter((s) => s.id !== "x"))).toThrow(/"x" repeat 0 was scored for A but not for B/);
    expect(() => pairScores(a.slice(1), b)).toThrow(/"x" repeat 0 was scored for B but not for A/);
    expect(() => pairScores([...a, a[0]!], b)).toThrow(/A has two scores for case "x"/);
  });

  it("significant(p, alpha) is p <= alpha and checks alpha", () => {
    expect(significant(0.05, 0.05)).toBe(true);
    expect(significant(0.0501, 0.05)).toBe(false);
    expect(() => significant(0.01, 0)).toThrow(/alpha/);
  });
});
