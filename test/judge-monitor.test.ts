/** The pure decision-makers: judge, monitor, reflection, predicates and the generation record. */
import { describe, expect, it } from "vitest";
import { judge, better } from "../evolution/judge.js";
import type { CaseFlags, MeasuredSuite } from "../evolution/judge.js";
import { alertsFor, trends } from "../evolution/monitor.js";
import { operatorFactors, operatorStats, reflect } from "../evolution/reflect.js";
import { evaluatePredicate, parsePredicate } from "../history/predicate.js";
import { trailersOf, subjectOf } from "../ledger/record.js";
import type { Measurement } from "../golden-tests/evaluate.js";
import { parseTrailers, formatMessage } from "../ledger/index.js";

const flags: CaseFlags = new Map([
  ["a", { mustPass: true, split: "train" }],
  ["b", { mustPass: false, split: "train" }],
  ["c", { mustPass: false, split: "train" }],
  ["h", { mustPass: false, split: "holdout" }],
]);

function suite(score: number, holdout: number | null, pass: Record<string, boolean>): MeasuredSuite {
  return { score, holdout, results: Object.entries(pass).map(([id, p]) => ({ id, pass: p })) };
}

describe("judge", () => {
  const base = suite(0.5, 0.5, { a: true, b: false, c: false, h: false });

  it("accepts a train improvement above the threshold and names the fixed cases", () => {
    const v = judge(base, suite(0.75, 0.5, { a: true, b: true, c: false, h: false }), flags, 0.01);
    expect(v.accept).toBe(true);
    expect(v.fixed).toEqual(["b"]);
    expect(v.delta).toBe(0.25);
    expect(v.reason).toMatch(/^accepted: train 0.5 -> 0.75 \(\+0.25\).*fixed b$/);
  });

  it("rejects a gain below the threshold", () => {
    const v = judge(base, suite(0.505, 0.5, { a: true, b: false, c: false, h: false }), flags, 0.01);
    expect(v.accept).toBe(false);
    expect(v.reason).toMatch(/rose too little/);
  });

  it("rejects when a mustPass case that passed now fails, even with a higher score", () => {
    const v = judge(base, suite(0.9, 0.5, { a: false, b: true, c: true, h: false }), flags, 0.01);
    expect(v.accept).toBe(false);
    expect(v.broken).toEqual(["a"]);
    expect(v.reason).toMatch(/mustPass case a now fails/);
  });

  it("rejects when the holdout score drops (overfitting guard)", () => {
    const v = judge(suite(0.5, 1, { a: true, b: false, h: true }), suite(0.75, 0, { a: true, b: true, h: false }), flags, 0.01);
    expect(v.accept).toBe(false);
    expect(v.reason).toMatch(/holdout score fell 1 -> 0/);
  });

  it("prefers higher train, then higher holdout, then the smaller change", () => {
    expect(better({ score: 0.8, holdout: 0, changedLines: 9 }, { score: 0.7, holdout: 1, changedLines: 1 })).toBe(true);
    expect(better({ score: 0.8, holdout: 1, changedLines: 9 }, { score: 0.8, holdout: 0.5, changedLines: 1 })).toBe(true);
    expect(better({ score: 0.8, holdout: 1, changedLines: 2 }, { score: 0.8, holdout: 1, changedLines: 4 })).toBe(true);
    expect(better({ score: 0.8, holdout: 1, changedLines: 4 }, { score: 0.8, holdout: 1, changedLines: 2 })).toBe(false);
  });
});

describe("monitor", () => {
  const thresholds = { scoreDrop: 0.05, holdoutDrop: 0.05, evalMsRise: 2 };
  const tracked = ["score", "holdout", "passed", "evalMs"];
  const point = (generation: number, score: number, holdout: number, passed: number, evalMs: number) => ({ generation, score, holdout, passed, failed: 10 - passed, evalMs });

  it("raises no alert on a steady improvement", () => {
    expect(alertsFor([point(0, 0.5, 0.5, 5, 10), point(1, 0.6, 0.6, 6, 11)], thresholds, tracked)).toEqual([]);
  });

  it("alerts on score and holdout drops past the thresholds, on slower evaluation and fewer passes", () => {
    const alerts = alertsFor([point(0, 0.9, 0.9, 9, 10), point(1, 0.8, 0.8, 8, 25)], thresholds, tracked);
    expect(alerts.map((a) => a.metric).sort()).toEqual(["evalMs", "holdout", "passed", "score"]);
  });

  it("tracks only the configured metrics", () => {
    expect(alertsFor([point(0, 0.9, 0.9, 9, 10), point(1, 0.8, 0.8, 8, 25)], thresholds, ["holdout"]).map((a) => a.metric)).toEqual(["holdout"]);
  });

  it("computes trends with a least-squares slope", () => {
    const t = trends([point(0, 0.5, 0.5, 5, 10), point(1, 0.6, 0.5, 6, 10), point(2, 0.7, 0.5, 7, 10)], ["score"]);
    expect(t).toEqual([{ metric: "score", first: 0.5, last: 0.7, best: 0.7, slope: 0.1 }]);
  });
});

describe("reflection and learning memory", () => {
  it("favours operators that were accepted before", () => {
    const tries = [
      { operator: "boundary", accepted: true },
      { operator: "boundary", accepted: false },
      ...Array.from({ length: 20 }, () => ({ operator: "statement-delete", accepted: false })),
    ];
    const stats = operatorStats(tries);
    expect(stats[0]!.operator).toBe("boundary");
    const f = operatorFactors(stats);
    expect(f["boundary"]!).toBeGreaterThan(1);
    expect(f["statement-delete"]!).toBeLessThan(1);
    const r = reflect(3, [{ id: "x", tool: "slugify", reason: "expected a" }], tries);
    expect(r.plan[0]).toMatch(/repair slugify \(1 failing: x\)/);
    expect(r.plan.join("\n")).toMatch(/never worked here: statement-delete/);
  });

  it("credits each part of a composed operator", () => {
    const stats = operatorStats([{ operator: "boundary+logical", accepted: true }]);
    expect(stats.map((s) => s.operator).sort()).toEqual(["boundary", "logical"]);
  });
});

describe("bisect predicates", () => {
  const m = { score: 0.85, holdout: 1, passed: 9, failed: 1, total: 10, mustPassFailed: [], evalMs: 3, results: [{ id: "ok", pass: true, score: 1, reason: "ok" }, { id: "bad", pass: false, score: 0, reason: "x" }] } satisfies Measurement;

  it("a case predicate is good while the case passes", () => {
    expect(evaluatePredicate(parsePredicate({ caseId: "ok" }), m)).toBe(true);
    expect(evaluatePredicate(parsePredicate({ caseId: "bad" }), m)).toBe(false);
    expect(() => evaluatePredicate(parsePredicate({ caseId: "nope" }), m)).toThrow(/not in the golden suite/);
  });

  it("a metric condition describes bad trees", () => {
    expect(evaluatePredicate(parsePredicate({ metric: "score<0.9" }), m)).toBe(false);
    expect(evaluatePredicate(parsePredicate({ metric: "score < 0.8" }), m)).toBe(true);
    expect(() => parsePredicate({ metric: "speed<1" })).toThrow(/expected METRIC OP NUMBER/);
    expect(() => parsePredicate({})).toThrow(/needs a predicate/);
  });
});

describe("generation record", () => {
  it("writes trailers that parse back to the measured numbers", () => {
    const parent = { score: 0.5, holdout: 0.5, passed: 5, failed: 5, total: 10, mustPassFailed: [], evalMs: 4, results: [] };
    const measurement = { ...parent, score: 0.625, holdout: 0.75, passed: 6, failed: 4 };
    const record = { generation: 4, action: "code-modification" as const, summary: "boundary in agent/tools/a.ts", details: ["- a.ts:3 x -> y"], parent, measurement, fixed: ["c1", "c2"], proposer: "builtin", operator: "boundary", suiteHash: "sha256:00", model: "none", seed: 7, candidates: 12 };
    const message = formatMessage(subjectOf(record), "body", trailersOf(record));
    const t = parseTrailers(message);
    expect(Number(t.get("Evolve-Generation"))).toBe(4);
    expect(Number(t.get("Evolve-Score"))).toBe(0.625);
    expect(Number(t.get("Evolve-Delta"))).toBe(0.125);
    expect(Number(t.get("Evolve-Parent-Score"))).toBe(0.5);
    expect(t.get("Evolve-Cases-Fixed")).toBe("c1, c2");
    expect(JSON.parse(t.get("Evolve-Metrics")!)).toMatchObject({ score: 0.625, holdout: 0.75, passed: 6 });
  });
});
