/**
 * Live regressions acted on: a planted generation whose recorded interactions fail more often is
 * detected and reverted as a real git revert, with the evidence in its trailers (read by native
 * git); a passing burst of failures, too few interactions, or rollbackOnRegression off revert nothing.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openInteractionStore, toColumns, type MetricRow } from "../interactions/index.js";
import { assessLive, checkLiveRegression } from "../history/live-revert.js";
import { initWorkspace } from "../workspace/init.js";
import { generation, git, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-live-revert-");
afterAll(() => tmp.cleanup());

const T0 = Date.UTC(2026, 0, 5, 9);

/** Records `n` interactions served by `gen`/`commit`, one a minute from `start`; `fails(i)` says which got no answer. */
function plant(ws: string, gen: number, commit: string, n: number, fails: (i: number) => boolean, start: number): void {
  const s = openInteractionStore(path.join(ws, ".git", "evolve", "interactions.sqlite"))!;
  try {
    for (let i = 0; i < n; i++) {
      const at = start + i * 60_000;
      const id = s.begin({ source: "chat", session: `g${gen}`, request: `question ${i}`, model: { provider: "ollama", name: "llama3", identity: null, params: {} }, commit, generation: gen, at });
      const failed = fails(i);
      s.complete(id, { status: failed ? "no-answer" : "answered", answer: failed ? null : "ok", errorKind: failed ? "max-steps" : null, error: null, toolCalls: [], steps: 1, refusals: 0, firstTokenMs: 10, totalMs: 400 + ((i * 37) % 200), modelMs: 300, tokensIn: 10, tokensOut: 10, at: at + 500 });
    }
  } finally {
    s.close();
  }
}

describe("live regression revert", () => {
  it("a burst that stopped is a glitch; a regression that persists is reverted with its evidence in the trailers", async () => {
    const ws = path.join(tmp.dir, "planted");
    await initWorkspace(ws, { example: "textkit" });
    const gen0 = git(ws, "rev-parse", "HEAD");
    const gen1 = await generation(ws, 1, "a change that fails in use", { "agent/params.json": [['"maxResults": 6', '"maxResults": 2']] });
    plant(ws, 0, gen0, 80, (i) => i % 40 === 0, T0);
    // 20 failures, all in the first 25 minutes of gen 1: a server outage, not the generation.
    plant(ws, 1, gen1, 80, (i) => i < 25 && i % 5 !== 4, T0 + 100 * 60_000);
    const glitch = await checkLiveRegression(ws, { revert: true });
    expect(glitch.decision).toBe("glitch");
    expect(glitch.evidence?.findings.map((f) => f.metric)).toContain("error_rate");
    expect(glitch.reason).toMatch(/not in the later 40 of its interactions/);
    expect(git(ws, "rev-parse", "HEAD")).toBe(gen1);

    // It keeps failing: 20 of the next 80 fail, spread out.
    plant(ws, 1, gen1, 80, (i) => i % 4 === 0, T0 + 200 * 60_000);
    const dry = await checkLiveRegression(ws, { revert: false });
    expect(dry.decision).toBe("alert");
    expect(git(ws, "rev-parse", "HEAD")).toBe(gen1);

    const done = await checkLiveRegression(ws, { revert: true });
    expect(done.decision, done.reason).toBe("reverted");
    expect(done.reverted).toMatchObject({ reverted: gen1, generation: 2, tag: "gen-2", changed: ["agent/params.json"] });
    // Native git: a revert commit on top of gen 1 whose tree is gen 0's, carrying the evidence.
    expect(git(ws, "rev-parse", "HEAD^")).toBe(gen1);
    expect(git(ws, "rev-parse", "HEAD^{tree}")).toBe(git(ws, "rev-parse", `${gen0}^{tree}`));
    expect(git(ws, "status", "--porcelain")).toBe("");
    const trailers = git(ws, "log", "-1", "--format=%(trailers:key=Evolve-Reverts,valueonly)%(trailers:key=Evolve-Proposer,valueonly)%(trailers:key=Evolve-Live-Regression,valueonly)").split("\n");
    expect(trailers[0]).toBe(gen1);
    expect(trailers[1]).toBe("live-monitor");
    const evidence = JSON.parse(trailers[2]!);
    expect(evidence).toMatchObject({ parent: 0, child: 1, alpha: 0.05 });
    const err = evidence.findings.find((f: { metric: string }) => f.metric === "error_rate");
    expect(err).toMatchObject({ test: "two-proportion-z", parent: { n: 80, count: 2 }, child: { n: 160, count: 40 } });
    expect(err.p).toBeLessThan(err.level);
    expect(git(ws, "log", "-1", "--format=%B")).toMatch(/^- error_rate 2\/80 -> 40\/160 \(two-proportion-z, p=/m);

    // The revert is generation 2, which has served nobody: nothing more to do.
    expect((await checkLiveRegression(ws, { revert: true })).decision).toBe("no-data");
  }, 60_000);

  it("never on too few interactions, and only against an earlier generation", () => {
    const rows = (gen: number, n: number, failures: number): MetricRow[] =>
      Array.from({ length: n }, (_, i) => ({ startedAt: T0 + gen * 1e7 + i, generation: gen, status: i < failures ? "no-answer" : "answered", totalMs: 100, firstTokenMs: 5, modelMs: 50, tokensOut: 5, rating: null, askedAgain: false }));
    const t = { minSamples: 30, metrics: ["error_rate"] };
    // 0/20 against 15/20 is stark, but 20 is below the minimum sample.
    const few = assessLive(toColumns([...rows(0, 20, 0), ...rows(1, 20, 15)]), 1, t);
    expect(few.decision).toBe("healthy");
    expect(assessLive(toColumns(rows(1, 100, 50)), 1, t).decision).toBe("no-data");
    expect(assessLive(toColumns(rows(0, 100, 50)), 1, t).decision).toBe("no-data");
    // Failures spread over the whole generation: a regression in both halves.
    const spread = (gen: number, n: number, every: number): MetricRow[] => rows(gen, n, 0).map((r, i) => ({ ...r, status: i % every === 0 ? "no-answer" : "answered" }));
    const regressed = assessLive(toColumns([...spread(0, 80, 40), ...spread(1, 80, 4)]), 1, t);
    expect(regressed.decision).toBe("regressed");
    expect(regressed.evidence?.findings[0]).toMatchObject({ metric: "error_rate", parent: { count: 2 }, child: { count: 20 } });
  });
});
