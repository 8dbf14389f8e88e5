/**
 * The pure parts of learning from use: feedback parsing and implicit signals, live metrics and
 * alerts, grouping and trends, live regression detection (hand-computed values), time arguments, and
 * promoted golden cases that load with the real suite loader.
 */
import { describe, expect, it } from "vitest";
import { isEvolveError } from "../kernel/errors.js";
import {
  askedAgain,
  compareLive,
  describeFinding,
  explicitFeedback,
  groupRows,
  halvesTrend,
  implicitSignals,
  liveAlerts,
  liveMetrics,
  liveRegression,
  parseChatFeedback,
  parseTimePoint,
  requestSimilarity,
  sampleOf,
  statsReport,
  toColumns,
  DEFAULT_LIVE_THRESHOLDS,
  type Interaction,
  type LiveSample,
  type MetricRow,
} from "../interactions/index.js";
import { appendCase, promotedCase, stableSplit } from "../interactions/golden-case.js";
import { loadSuite } from "../golden-tests/index.js";

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (isEvolveError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "no error";
};

const row = (o: Partial<MetricRow> = {}): MetricRow => ({
  startedAt: Date.parse("2026-11-30T12:00:00Z"),
  generation: 1,
  status: "answered",
  totalMs: 100,
  firstTokenMs: 10,
  modelMs: 50,
  tokensOut: 25,
  rating: null,
  askedAgain: false,
  ...o,
});

describe("feedback", () => {
  it("takes exactly one verdict and refuses what cannot be meant", () => {
    expect(explicitFeedback({ good: true })).toEqual({ source: "explicit", signal: "good", rating: 5, expected: null, note: null });
    expect(explicitFeedback({ bad: true, expected: " three notes ", note: "too long" })).toEqual({ source: "explicit", signal: "bad", rating: 1, expected: "three notes", note: "too long" });
    expect(explicitFeedback({ rating: 4 })).toMatchObject({ signal: "rating", rating: 4 });
    expect(code(() => explicitFeedback({ good: true, bad: true }))).toBe("usage: give exactly one of --good, --bad or --rating N");
    expect(code(() => explicitFeedback({}))).toMatch(/^usage: give exactly one/);
    expect(code(() => explicitFeedback({ rating: 6 }))).toBe("usage: a rating is a whole number from 1 to 5, got 6");
    expect(code(() => explicitFeedback({ rating: Number.NaN }))).toMatch(/got NaN$/);
    expect(code(() => explicitFeedback({ good: true, expected: "x" }))).toMatch(/^usage: --expected goes with --bad/);
  });

  it("reads /good, /bad and /rate in a chat", () => {
    expect(parseChatFeedback("/good")).toEqual({ good: true });
    expect(parseChatFeedback("/bad The answer should list 3 notes")).toEqual({ bad: true, expected: "The answer should list 3 notes" });
    expect(parseChatFeedback("/rate 4 fine")).toEqual({ rating: 4, note: "fine" });
    expect(parseChatFeedback("/goodness")).toBeNull();
    expect(parseChatFeedback("tell me /good things")).toBeNull();
    expect(code(() => parseChatFeedback("/rate ten"))).toMatch(/^usage: \/rate takes a whole number from 1 to 5/);
  });

  it("reads implicit signals off what happened, each once", () => {
    const tool = (name: string, failureKind: string | null) => ({ name, args: "[]", ok: failureKind === null, result: "", failureKind, ms: 1 });
    expect(implicitSignals({ toolCalls: [tool("a", null)], errorKind: null, refusals: 0, steps: 2 })).toEqual([]);
    const s = implicitSignals({ toolCalls: [tool("a", "throw"), tool("b", "timeout"), tool("c", "throw")], errorKind: "max-steps", refusals: 2, steps: 4 });
    expect(s.map((x) => x.signal)).toEqual(["tool-failure", "timeout", "refused", "max-steps"]);
    expect(s[0]!.note).toBe("a: throw; b: timeout; c: throw");
    expect(implicitSignals({ toolCalls: [], errorKind: "timeout", refusals: 0, steps: 1 })).toMatchObject([{ signal: "timeout", note: "the model timed out" }]);
  });

  it("asking again means soon after and about the same thing", () => {
    expect(requestSimilarity("How many notes do I have?", "how many notes do I have")).toBe(1);
    expect(requestSimilarity("list my notes", "tell me a story")).toBe(0);
    const prev = { request: "How many notes are tagged work?", endedAt: 1_000_000 };
    expect(askedAgain(prev, { request: "how many notes are tagged with work", at: 1_030_000 })).toBe(true);
    expect(askedAgain(prev, { request: "how many notes are tagged with work", at: 1_000_000 + 121_000 })).toBe(false);
    expect(askedAgain(prev, { request: "slugify Hello", at: 1_010_000 })).toBe(false);
  });
});

describe("live metrics", () => {
  const rows = [row({ totalMs: 100, rating: 5 }), row({ totalMs: 200 }), row({ totalMs: 300, askedAgain: true }), row({ totalMs: 400, rating: 1 }), row({ totalMs: 1000, status: "no-answer", modelMs: 0 })];

  it("medians, p95, rates with intervals and satisfaction", () => {
    const m = liveMetrics(toColumns(rows));
    expect(m.interactions).toBe(5);
    expect(m.responseTimeMs).toMatchObject({ n: 5, median: 300 });
    expect(m.responseTimeMs.p95).toBeCloseTo(880, 9); // 400 + 0.8 * (1000 - 400)
    expect(m.errorRate).toMatchObject({ count: 1, n: 5, estimate: 0.2 });
    // Rated 5 (success), unrated answer (success), asked again (failure), rated 1 (failure), no answer.
    expect(m.taskSuccessRate).toMatchObject({ count: 2, n: 5, estimate: 0.4 });
    expect(m.userSatisfaction).toMatchObject({ n: 2, estimate: 3 });
    expect(m.tokensPerSecond.median).toBe(500); // 25 tokens in 50 ms; the no-answer row has no model time
    expect(liveMetrics(toColumns([])).responseTimeMs.median).toBeNaN();
  });

  it("alerts only on tracked metrics with enough samples", () => {
    const m = liveMetrics(toColumns(rows));
    const t = { ...DEFAULT_LIVE_THRESHOLDS, responseTimeMs: 500, minSamples: 5 };
    expect(liveAlerts(m, t).map((a) => a.message)).toEqual(["p95 response time 880 ms is above 500 ms (5 interactions)", "error rate 20.0% (1 of 5) is above 5.0%"]);
    expect(liveAlerts(m, t, ["error_rate"]).map((a) => a.metric)).toEqual(["error_rate"]);
    expect(liveAlerts(m, { ...t, minSamples: 6 })).toEqual([]);
    // Two ratings averaging 3.0: not below 3.0, but below 3.5.
    expect(liveAlerts(m, { ...t, minSamples: 2 }).map((a) => a.metric)).not.toContain("user_satisfaction");
    expect(liveAlerts(m, { ...t, minSamples: 2, userSatisfaction: 3.5 }).at(-1)?.message).toBe("user satisfaction 3.00/5 (2 ratings) is below 3.5/5");
  });

  it("groups by generation and by UTC day, and halves a window", () => {
    const day = (d: string) => Date.parse(`${d}T10:00:00Z`);
    const rs = toColumns([row({ generation: 2, startedAt: day("2026-11-29") }), row({ generation: 1, startedAt: day("2026-11-29") }), row({ generation: 2, startedAt: day("2026-11-30"), totalMs: 300 }), row({ generation: null, startedAt: day("2026-11-30") })]);
    expect(groupRows(rs, "generation").map((g) => [g.key, g.generation, g.rows.n, [...g.rows.totalMs]])).toEqual([["1", 1, 1, [100]], ["2", 2, 2, [100, 300]], ["unknown", null, 1, [100]]]);
    expect(groupRows(rs, "day").map((g) => [g.key, g.rows.n])).toEqual([["2026-11-29", 2], ["2026-11-30", 2]]);
    const t = halvesTrend(rs, day("2026-11-29") - 3600_000, day("2026-11-30") + 3600_000);
    expect([t.earlier, t.later]).toEqual([2, 2]);
    expect(t.points.find((p) => p.metric === "response_time_median_ms")).toEqual({ metric: "response_time_median_ms", earlier: 100, later: 200, change: 100 });
  });
});

describe("live regression", () => {
  const latencies = (from: number, n: number) => Array.from({ length: n }, (_, i) => 10 * (from + i));
  const sample = (errors: number, latenciesMs: number[], n = 100): LiveSample => ({ generation: null, n, errors, successes: n - errors, latenciesMs, ratings: [] });

  it("finds more errors significant by the two-proportion z-test, at a Bonferroni-corrected level", () => {
    const e = liveRegression({ ...sample(2, latencies(1, 100)), generation: 3 }, { ...sample(12, latencies(1, 100)), generation: 4 }, { minSamples: 30 })!;
    expect(e).not.toBeNull();
    // Three metrics tested (satisfaction has no ratings): each at 0.05 / 3.
    expect(e.compared.map((c) => c.metric)).toEqual(["error_rate", "task_success_rate", "response_time"]);
    expect(e.skipped).toEqual([{ metric: "user_satisfaction", reason: "0 vs 0 observations; each side needs 30" }]);
    expect(e.compared[0]!.level).toBeCloseTo(0.05 / 3, 12);
    // pooled 0.07, se = 0.0360832, z = 2.77137, one-sided p = 0.0027910
    const err = e.findings.find((f) => f.metric === "error_rate")!;
    expect(err).toMatchObject({ test: "two-proportion-z", parent: { n: 100, count: 2 }, child: { n: 100, count: 12 }, significant: true });
    expect(err.z).toBeCloseTo(2.77137, 5);
    expect(err.p).toBeCloseTo(0.002791, 6);
    expect(e.findings.map((f) => f.metric)).toEqual(["error_rate", "task_success_rate"]);
    expect(e.compared.find((c) => c.metric === "response_time")!.significant).toBe(false);
    expect(describeFinding(err)).toBe("error_rate 2/100 -> 12/100 (two-proportion-z, p=0.0028 < 0.0167)");
    expect([e.parent.generation, e.child.generation]).toEqual([3, 4]);
  });

  it("finds slower answers by Mann-Whitney U", () => {
    // Child 210..600 ms against parent 10..400 ms: U = 1400 of 1600, 20 ties of two;
    // z = (1400 - 800 - 0.5) / 103.911 = 5.7694, p = 3.978e-9 (scipy: 3.97847628141266e-09).
    const e = liveRegression(sample(0, latencies(1, 40), 40), sample(0, latencies(21, 40), 40), { minSamples: 30, metrics: ["response_time"] })!;
    expect(e.findings).toHaveLength(1);
    expect(e.findings[0]).toMatchObject({ metric: "response_time", test: "mann-whitney-u", statistic: 1400, exact: false, parent: { value: 205 }, child: { value: 405 } });
    expect(e.findings[0]!.p).toBeCloseTo(3.97847628141266e-9, 18);
  });

  it("says nothing without enough samples or without a significant difference", () => {
    expect(liveRegression(sample(2, latencies(1, 100)), sample(5, latencies(1, 100)), { minSamples: 30 })).toBeNull(); // z = 1.1543, p = 0.124
    const few = compareLive(sample(0, latencies(1, 100)), sample(10, latencies(1, 20), 20), { minSamples: 30 });
    expect(few.compared).toEqual([]);
    expect(few.skipped.map((s) => s.reason)).toContain("100 vs 20 observations; each side needs 30");
    expect(liveRegression(sample(0, latencies(1, 100)), sample(10, latencies(1, 20), 20), { minSamples: 30 })).toBeNull();
  });

  it("statsReport plants nothing itself: a generation whose interactions fail more often shows as a regression", () => {
    const gen = (g: number, n: number, errors: number) => Array.from({ length: n }, (_, i) => row({ generation: g, status: i < errors ? "error" : "answered", totalMs: 100 + (i % 7) }));
    const rows = toColumns([...gen(1, 60, 1), ...gen(2, 60, 15)]);
    const commits = new Map([[1, ["c1"]], [2, ["c2", "c2b"]]]);
    const r = statsReport(rows, { by: "generation", since: null, now: Date.now(), thresholds: { ...DEFAULT_LIVE_THRESHOLDS, minSamples: 30 }, tracked: ["error_rate", "response_time"], commits });
    expect(r.groups.map((g) => [g.key, g.commits])).toEqual([["1", ["c1"]], ["2", ["c2", "c2b"]]]);
    expect(r.groups[0]!.comparison).toBeNull();
    expect(r.groups[1]!.regression?.findings.map((f) => f.metric)).toEqual(["error_rate"]);
    expect(sampleOf(toColumns(gen(2, 60, 15)))).toMatchObject({ generation: 2, n: 60, errors: 15, successes: 45 });
  });
});

describe("time arguments", () => {
  const now = Date.parse("2026-12-01T00:00:00Z");
  it("takes durations and dates, refuses anything else with the flag named", () => {
    expect(parseTimePoint("--since", "24h", now)).toBe(now - 86_400_000);
    expect(parseTimePoint("--since", "7d", now)).toBe(now - 7 * 86_400_000);
    expect(parseTimePoint("--since", "30m", now)).toBe(now - 1_800_000);
    expect(parseTimePoint("--before", "2026-11-30", now)).toBe(Date.parse("2026-11-30T00:00:00Z"));
    expect(parseTimePoint("--before", "2026-11-30T12:00:00Z", now)).toBe(Date.parse("2026-11-30T12:00:00Z"));
    expect(code(() => parseTimePoint("--since", "yesterday", now))).toBe('usage: --since: "yesterday" is neither a duration (30m, 24h, 7d, 2w) nor a date (2026-11-30 or 2026-11-30T12:00:00Z)');
    expect(code(() => parseTimePoint("--before", "2026-02-30", now))).toMatch(/^usage: --before: "2026-02-30" is neither/);
    expect(code(() => parseTimePoint("--since", "0h", now))).toMatch(/^usage/);
  });
});

describe("promoted golden cases", () => {
  const base: Interaction = {
    id: 42,
    source: "chat",
    session: "s",
    startedAt: Date.parse("2026-11-30T10:00:00Z"),
    finishedAt: null,
    status: "answered",
    request: 'How many notes: "work" # tagged?\nAnswer briefly.',
    requestChars: 46,
    answer: "Three notes: a, b: c.",
    answerChars: 21,
    errorKind: null,
    error: null,
    model: { provider: "ollama", name: "m", identity: null, params: {} },
    commit: null,
    generation: 3,
    firstTokenMs: null,
    totalMs: 1,
    modelMs: 1,
    tokensIn: 1,
    tokensOut: 1,
    steps: 1,
    refusals: 0,
    rating: null,
    toolCalls: [],
    feedback: [],
  };
  const fb = (signal: "good" | "bad" | "rating", rating: number, expected: string | null = null) => ({ id: 1, interactionId: 42, at: 0, source: "explicit" as const, signal, rating, expected, note: null });

  it("a good answer guards itself, an expected answer is asserted, a bad one must not come back", () => {
    expect(promotedCase({ ...base, feedback: [fb("good", 5)] })).toMatchObject({ basis: "good-answer", case: { id: "promoted-42", agent: { request: base.request }, assert: [{ type: "equals", value: base.answer }], tags: ["promoted"] } });
    expect(promotedCase({ ...base, feedback: [fb("bad", 1, "Three.")] }).case.assert).toEqual([{ type: "equals", value: "Three." }]);
    expect(promotedCase({ ...base, feedback: [fb("bad", 1)] }).case.assert).toEqual([{ type: "not-equals", value: base.answer }]);
    expect(promotedCase({ ...base, feedback: [fb("good", 5)] }, { expected: "Two.", split: "holdout" }).case).toMatchObject({ assert: [{ type: "equals", value: "Two." }], split: "holdout" });
    expect(code(() => promotedCase(base))).toMatch(/^usage: interaction 42 has no feedback that says what its answer should be/);
    expect(code(() => promotedCase({ ...base, feedback: [fb("rating", 3)] }))).toMatch(/^usage/);
    expect(code(() => promotedCase({ ...base, requestChars: 20_000, feedback: [fb("good", 5)] }))).toMatch(/request was cut/);
  });

  it("splits by a stable hash of the request, about one in four held out", () => {
    const splits = Array.from({ length: 400 }, (_, i) => stableSplit(`request ${i}`));
    const held = splits.filter((s) => s === "holdout").length;
    expect(held).toBeGreaterThan(60);
    expect(held).toBeLessThan(140);
    expect(stableSplit("request 7")).toBe(splits[7]);
  });

  it("appends as text, keeping every byte of existing cases, and the suite loader reads it", () => {
    const c1 = promotedCase({ ...base, feedback: [fb("good", 5)] }).case;
    const first = appendCase("golden-tests/promoted.yaml", undefined, c1);
    const c2 = promotedCase({ ...base, id: 43, request: "  leading spaces: and 'quotes' — ünïcode\n\nblank line above", requestChars: 56, feedback: [fb("bad", 1, "yes\n  indented")] }).case;
    const second = appendCase("golden-tests/promoted.yaml", first, c2);
    expect(second.startsWith(first.trimEnd())).toBe(true);
    const suite = loadSuite(new Map([["golden-tests/promoted.yaml", second]]));
    expect(suite.agentCases?.map((c) => [c.id, c.agent.request, c.assert[0]!.value, c.assert[0]!.negate])).toEqual([
      ["promoted-42", base.request, base.answer, false],
      ["promoted-43", c2.agent.request, "yes\n  indented", false],
    ]);
    const hand = "cases:\n  - id: mine\n    agent: { request: hi }\n    assert: [{ type: contains, value: h }]\ntags: [x]\n";
    expect(code(() => appendCase("golden-tests/promoted.yaml", hand, c1))).toMatch(/^workspace: golden-tests\/promoted\.yaml does not end with its list of cases/);
  });
});
