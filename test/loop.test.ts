/**
 * The run loop in process, with its resources passed in: a real sandbox pool (wrapped, where a test
 * needs the machine to misbehave), the real evaluation cache, real git repositories checked with
 * native git. Covers approval, the flaky-winner re-check, rollbackOnRegression and the budget.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initWorkspace } from "../workspace/init.js";
import { createSandbox } from "../sandbox/pool.js";
import type { Sandbox } from "../sandbox/pool.js";
import { openEvalCache, readAttempts, commitGeneration } from "../ledger/index.js";
import { openRun } from "../evolution/loop/open.js";
import { runLoop } from "../evolution/loop/run.js";
import type { RunResources } from "../evolution/loop/context.js";
import type { RunEvent, RunOptions, RunSummary } from "../evolution/loop/types.js";
import { openWorkspace } from "../workspace/open.js";
import { isEvolveError } from "../kernel/errors.js";
import { withWarningSink } from "../kernel/warn.js";
import { approveHeld } from "../evolution/approve.js";
import { git, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-loop-");
let template: string;
let pool: Sandbox;

beforeAll(async () => {
  template = path.join(tmp.dir, "template");
  await initWorkspace(template, { example: "textkit" });
  pool = createSandbox({ workers: 2 });
}, 120_000);
afterAll(async () => {
  await pool.destroy();
  tmp.cleanup();
});

let copies = 0;
/** A fresh copy of the textkit workspace with `safety` settings replaced, committed by native git. */
function workspace(safety: Record<string, string | number | boolean> = {}): string {
  const ws = path.join(tmp.dir, `ws-${++copies}`);
  cpSync(template, ws, { recursive: true });
  const file = path.join(ws, "evolve.config.yaml");
  let text = readFileSync(file, "utf8");
  for (const [key, value] of Object.entries(safety)) {
    const re = new RegExp(`^(  ${key}:) [^#\\n]*`, "m");
    expect(re.test(text), key).toBe(true);
    text = text.replace(re, `$1 ${String(value)} `);
  }
  writeFileSync(file, text);
  if (Object.keys(safety).length > 0) git(ws, "commit", "-qam", "test settings");
  return ws;
}

async function run(ws: string, options: Omit<RunOptions, "dir"> = {}, sandbox: Sandbox = pool): Promise<{ summary: RunSummary; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const opened = await openRun({ dir: ws, ...options });
  const cache = await openEvalCache(ws);
  const res: RunResources = { sandbox, cache, provider: null, modelId: "none" };
  const summary = await runLoop(opened, res, { onEvent: (e) => events.push(e) });
  return { summary, events };
}

/** The real pool, except that a bundle run a second time (the re-check) fails every case. */
function flakyOnRecheck(real: Sandbox): Sandbox {
  const runs = new Map<string, number>();
  return {
    async run(code, calls, options) {
      const n = (runs.get(code) ?? 0) + 1;
      runs.set(code, n);
      const out = await real.run(code, calls, options);
      return n === 1 || options?.coverage === true ? out : out.map((o) => ({ id: o.id, ok: false as const, kind: "throw" as const, error: "flaky", ms: 0 }));
    },
    destroy: async () => {},
  };
}

describe("approval of large changes", () => {
  it("holds every accepted change above safety.approvalAboveLines, counts it, and commits nothing", async () => {
    const ws = workspace({ approvalAboveLines: 0 });
    const head = git(ws, "rev-parse", "HEAD");
    const { summary } = await run(ws, { generations: 1, candidatesPerGeneration: 12 });
    expect(summary.generations).toHaveLength(0);
    expect(summary.candidates.refused.approval).toBeGreaterThan(0);
    expect(summary.held).toHaveLength(summary.candidates.refused.approval);
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
    const held = (await readAttempts(ws, head)).filter((a) => a.metrics["stage"] === "approval");
    expect(held).toHaveLength(summary.held.length);
    expect(held[0]!.reason).toMatch(/^held: \d+ changed lines exceed safety\.approvalAboveLines \(0\)/);
    expect(summary.held.map((h) => h.id)).toEqual(held.map((a) => a.tree.slice(0, 10)));
  });

  it("commits them when pre-approved (--approve-large) or approved when asked", async () => {
    const ws = workspace({ approvalAboveLines: 0 });
    const pre = await run(ws, { generations: 1, candidatesPerGeneration: 12, approveLarge: true });
    expect(pre.summary.generations).toHaveLength(1);
    expect(pre.summary.candidates.refused.approval).toBe(0);

    const asked: string[] = [];
    const ws2 = workspace({ approvalAboveLines: 0 });
    const approved = await run(ws2, { generations: 1, candidatesPerGeneration: 12, approve: async (diff) => (asked.push(diff), true) });
    expect(asked.length).toBeGreaterThan(0);
    expect(asked[0]).toMatch(/^diff --git/);
    expect(approved.summary.generations).toHaveLength(1);
    expect(git(ws2, "rev-parse", "HEAD")).toBe(approved.summary.generations[0]!.commit);
  });
});

describe("held candidates later", () => {
  it("evolve approve ID commits a held one as the next generation; again, or an unknown id, is refused", async () => {
    const ws = workspace({ approvalAboveLines: 0 });
    const { summary } = await run(ws, { generations: 1, candidatesPerGeneration: 12 });
    const id = summary.held[0]!.id;
    const { attempt, generation } = await approveHeld({ dir: ws, id });
    expect(attempt.tree.startsWith(id)).toBe(true);
    expect(git(ws, "rev-parse", "HEAD")).toBe(generation.commit);
    expect(git(ws, "rev-parse", "HEAD^{tree}")).toBe(attempt.tree);
    expect(git(ws, "describe", "--tags", "--exact-match", "HEAD")).toBe("gen-1");
    expect(generation.score).toBeGreaterThan(summary.initialScore);
    const again = await approveHeld({ dir: ws, id }).catch((e: unknown) => e);
    expect(isEvolveError(again, "stale-candidate")).toBe(true);
    expect(isEvolveError(await approveHeld({ dir: ws, id: "0000000" }).catch((e: unknown) => e), "not-found")).toBe(true);
    expect(git(ws, "rev-parse", "HEAD")).toBe(generation.commit);
  });

  it("are offered again first on a run with --approve-large, after the branch moved on", async () => {
    const ws = workspace({ approvalAboveLines: 0 });
    const first = await run(ws, { generations: 1, candidatesPerGeneration: 12 });
    expect(first.summary.held.length).toBeGreaterThan(0);
    writeFileSync(path.join(ws, "NOTES.txt"), "an unrelated commit\n");
    git(ws, "add", "NOTES.txt");
    git(ws, "commit", "-qm", "unrelated");
    const newest = (await readAttempts(ws)).filter((a) => a.metrics["stage"] === "approval").at(-1)!;
    const second = await run(ws, { generations: 1, candidatesPerGeneration: 1, budget: 1, approveLarge: true });
    expect(second.summary.generations).toHaveLength(1);
    expect(git(ws, "log", "-1", "--format=%b")).toContain(newest.description.split("; ")[0]!);
  });
});

describe("the flaky-winner re-check (safety.recheckRepeats)", () => {
  it("rejects a winner whose re-run disagrees, records why, and commits nothing", async () => {
    const ws = workspace({ recheckRepeats: 2 });
    const head = git(ws, "rev-parse", "HEAD");
    const { summary } = await run(ws, { generations: 1, candidatesPerGeneration: 12 }, flakyOnRecheck(pool));
    expect(summary.generations).toHaveLength(0);
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
    const flaky = (await readAttempts(ws, head)).filter((a) => /^rejected: flaky: score [\d.]+ on first run, 0 on re-check 1 of 2$/.test(a.reason));
    expect(flaky.length).toBeGreaterThan(0);
  });

  it("with recheckRepeats 0 the same sandbox lets the winner through", async () => {
    const ws = workspace({ recheckRepeats: 0 });
    const { summary } = await run(ws, { generations: 1, candidatesPerGeneration: 12 }, flakyOnRecheck(pool));
    expect(summary.generations).toHaveLength(1);
  });
});

describe("a sandbox that fails under the round", () => {
  it("stops the run with the sandbox's error instead of waiting for a slot that never comes back", async () => {
    const ws = workspace();
    const head = git(ws, "rev-parse", "HEAD");
    let calls = 0;
    // The tip's measurement and two candidates run; the third candidate's run throws (a crashed pool).
    const crashing: Sandbox = {
      run: async (code, calls_, options) => {
        if (++calls === 4) throw new Error("worker pool crashed");
        return pool.run(code, calls_, options);
      },
      destroy: async () => {},
    };
    await expect(run(ws, { generations: 1, candidatesPerGeneration: 12 }, crashing)).rejects.toThrow("worker pool crashed");
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
    expect(git(ws, "status", "--porcelain")).toBe("");
  });
});

describe("a committed tool that does not type-check", () => {
  it("is named once, file:line:column and code, while the run goes on (candidates are held to the errors they add)", async () => {
    const ws = workspace();
    const file = path.join(ws, "agent", "tools", "numbers.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace(/return/, 'const broken: number = "x";\n  return'));
    git(ws, "commit", "-qam", "a type error");
    const lines: string[] = [];
    const { summary } = await withWarningSink((t) => void lines.push(t), () => run(ws, { generations: 1, candidatesPerGeneration: 8 }));
    const said = lines.filter((l) => l.includes("does not type-check"));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^warning: the committed code does not type-check: agent\/tools\/numbers\.ts:\d+:\d+ TS2322: Type 'string' is not assignable to type 'number'; candidates are refused only for type errors they add/);
    expect(summary.rounds).toBe(1);
    // The same workspace without the error says nothing.
    const clean: string[] = [];
    await withWarningSink((t) => void clean.push(t), () => run(workspace(), { generations: 1, candidatesPerGeneration: 8 }));
    expect(clean.filter((l) => l.includes("type-check"))).toEqual([]);
  });
});

/** Commits a harmless change that claims, in its trailers, a score the tree does not reach. */
async function overclaim(ws: string, score = 1): Promise<string> {
  const w = await openWorkspace(ws);
  const file = [...w.files.keys()].find((p) => p.startsWith("agent/tools/"))!;
  const m = { score, holdout: null, passed: 99, failed: 0, total: 99, evalMs: 1 };
  const record = { generation: 1, action: "code-modification" as const, summary: "claims too much", details: [], parent: null, measurement: m, fixed: [], proposer: "builtin", operator: "literal", suiteHash: w.suite.hash, model: "none", seed: 1, candidates: 1 };
  const out = await commitGeneration(ws, { branch: "main", parent: w.commit, changes: new Map([[file, `${w.files.get(file)}\n// harmless\n`]]), record });
  return out.commit;
}

describe("rollbackOnRegression", () => {
  it("reverts a tip that scores below what it recorded, once the regression reproduces", async () => {
    const ws = workspace();
    const bad = await overclaim(ws);
    const { events, summary } = await run(ws, { generations: 0 });
    const rollback = events.find((e) => e.type === "rollback");
    expect(rollback).toMatchObject({ type: "rollback", reverted: bad });
    expect(git(ws, "rev-parse", "HEAD^{tree}")).toBe(git(ws, "rev-parse", `${bad}^^{tree}`));
    expect(git(ws, "log", "-1", "--format=%(trailers:key=Evolve-Reverts,valueonly)").trim()).toBe(bad);
    expect(git(ws, "log", "-1", "--format=%(trailers:key=Evolve-Action,valueonly)").trim()).toBe("rollback");
    expect(git(ws, "describe", "--tags", "--exact-match", "HEAD")).toBe("gen-2");
    expect(git(ws, "status", "--porcelain")).toBe("");
    expect(summary.initialCommit).toBe(git(ws, "rev-parse", "HEAD"));
  });

  it("does nothing when rollbackOnRegression is off", async () => {
    const ws = workspace({ rollbackOnRegression: false });
    const bad = await overclaim(ws);
    const { events } = await run(ws, { generations: 0 });
    expect(events.some((e) => e.type === "rollback")).toBe(false);
    expect(git(ws, "rev-parse", "HEAD")).toBe(bad);
  });

  it("does not roll back when every case crashed: that is the sandbox's fault, and the run says so", async () => {
    const ws = workspace();
    const bad = await overclaim(ws);
    const crashing: Sandbox = { run: async (_code, calls) => calls.map((c) => ({ id: c.id, ok: false as const, kind: "crash" as const, error: "worker died", ms: 0 })), destroy: async () => {} };
    const err = await run(ws, { generations: 0 }, crashing).catch((e: unknown) => e);
    expect(isEvolveError(err, "sandbox-fault")).toBe(true);
    expect(git(ws, "rev-parse", "HEAD")).toBe(bad);
  });

  it("does not roll back when the low score does not reproduce", async () => {
    const real = (await run(workspace(), { generations: 0 })).summary.initialScore;
    const ws = workspace();
    const bad = await overclaim(ws, real);
    // Only the first run of the tip fails (every case throws); the re-measure gets the real score back.
    let first = true;
    const once: Sandbox = {
      async run(code, calls, options) {
        const out = await pool.run(code, calls, options);
        if (!first) return out;
        first = false;
        return out.map((o) => ({ id: o.id, ok: false as const, kind: "throw" as const, error: "glitch", ms: 0 }));
      },
      destroy: async () => {},
    };
    const { events } = await run(ws, { generations: 0 }, once);
    expect(events.some((e) => e.type === "rollback")).toBe(false);
    expect(events.find((e) => e.type === "rollback-skipped")).toMatchObject({ commit: bad });
    expect(git(ws, "rev-parse", "HEAD")).toBe(bad);
  });
});

describe("the budget", () => {
  it("is the exact number of sandbox evaluations, across rounds, and the summary says it stopped the run", async () => {
    const ws = workspace();
    const { summary, events } = await run(ws, { generations: 50, candidatesPerGeneration: 3, budget: 7 });
    expect(summary.candidates.evaluated).toBe(7);
    expect(summary.stopCause).toBe("budget");
    expect(summary.stopReason).toBe("spent the budget of 7 candidates");
    expect(events.at(-1)).toMatchObject({ type: "stop", cause: "budget" });
  });
});

describe("a workspace whose train cases all pass", () => {
  it("stops before spending anything, though a holdout case fails: no candidate could be accepted for it", async () => {
    const ws = path.join(tmp.dir, "train-perfect");
    await initWorkspace(ws, {});
    const cases = path.join(ws, "golden-tests/greet.yaml");
    writeFileSync(cases, `${readFileSync(cases, "utf8")}  - id: greet-holdout\n    tool: greet\n    input: Ann\n    split: holdout\n    assert:\n      - type: equals\n        value: Hi, Ann!\n`);
    git(ws, "commit", "-qam", "a holdout case the tool fails");
    const { summary } = await run(ws, { budget: 50 });
    expect(summary.stopCause).toBe("perfect");
    expect(summary.stopReason).toMatch(/^every train case passes/);
    expect(summary.candidates.evaluated).toBe(0);
    expect(summary.finalHoldout).toBe(0);
  });
});

describe("evolve run composed in the engine", () => {
  it("commits code generations, then says there is no model to tune with instead of failing (model.provider: none with --model naming a served model; a .gguf file would choose node-llama-cpp)", async () => {
    const ws = path.join(tmp.dir, "story");
    await initWorkspace(ws, { example: "storyteller" });
    const file = path.join(ws, "evolve.config.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("provider: node-llama-cpp", "provider: none"));
    git(ws, "commit", "-qam", "no model");
    const done: RunSummary[] = [];
    const { evolveWorkspace } = await import("../evolution/engine.js");
    const out = await evolveWorkspace({ dir: ws, generations: 1, candidatesPerGeneration: 4, model: { model: "llama3" } }, { onGenerationsDone: (s) => done.push(s) });
    expect(done).toEqual([out.summary]);
    expect(out.tune).toEqual({ ran: false, reason: "no-model", agentCases: expect.any(Number) });
    expect(git(ws, "status", "--porcelain")).toBe("");
  });
});

describe("an edit made during a run", () => {
  it("stops the run before it commits, with one clear error, and the edit is kept", async () => {
    const ws = workspace();
    const head = git(ws, "rev-parse", "HEAD");
    const notes = path.join(ws, "golden-tests", "notes.yaml");
    const edited = `${readFileSync(notes, "utf8")}# edited during the run\n`;
    const events: RunEvent[] = [];
    const opened = await openRun({ dir: ws, generations: 1, candidatesPerGeneration: 12 });
    const res: RunResources = { sandbox: pool, cache: await openEvalCache(ws), provider: null, modelId: "none" };
    const onEvent = (e: RunEvent) => {
      events.push(e);
      if (e.type === "round") writeFileSync(notes, edited);
    };
    const err = await runLoop(opened, res, { onEvent }).catch((e: unknown) => e);
    expect(isEvolveError(err, "run-interrupted")).toBe(true);
    expect((err as Error).message).toMatch(/golden-tests\/notes\.yaml changed in the work tree during the run; the run stopped without overwriting them/);
    expect(events.some((e) => e.type === "candidate" && e.accepted)).toBe(true);
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
    expect(readFileSync(notes, "utf8")).toBe(edited);
  });
});
