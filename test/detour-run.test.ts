/**
 * Neutral moves in a real run (loop in process, real sandbox pool, real git): a defect whose fix
 * takes two steps on one expression, which no pair of the tip's edits can make (the second edit's
 * site exists only after the first), is repaired through a neutral variant and committed as one
 * generation against the tip; a defect nothing can fix ends with the variants named.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initWorkspace } from "../workspace/init.js";
import { createSandbox } from "../sandbox/pool.js";
import type { Sandbox } from "../sandbox/pool.js";
import { openEvalCache } from "../ledger/index.js";
import { openRun } from "../evolution/loop/open.js";
import { runLoop } from "../evolution/loop/run.js";
import type { RunEvent } from "../evolution/loop/types.js";
import { fsckClean, git, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-detour-");
let pool: Sandbox;
beforeAll(() => {
  pool = createSandbox({ workers: 2 });
});
afterAll(async () => {
  await pool.destroy();
  tmp.cleanup();
});

/** A workspace with one tool and its cases, searched with the off-by-one and literal operators only. */
async function workspace(name: string, tool: string, cases: string): Promise<string> {
  const ws = path.join(tmp.dir, name);
  await initWorkspace(ws, {});
  writeFileSync(path.join(ws, "agent/tools/greet.ts"), tool);
  writeFileSync(path.join(ws, "golden-tests/greet.yaml"), cases);
  const config = path.join(ws, "evolve.config.yaml");
  writeFileSync(config, readFileSync(config, "utf8").replace(/operators: \["all"\]/, 'operators: ["off-by-one", "literal"]').replace(/recheckRepeats: 2/, "recheckRepeats: 0"));
  git(ws, "commit", "-qam", "the tool under test");
  return ws;
}

async function run(ws: string): Promise<{ events: RunEvent[]; summary: Awaited<ReturnType<typeof runLoop>> }> {
  const events: RunEvent[] = [];
  const opened = await openRun({ dir: ws, budget: 200 });
  const res = { sandbox: pool, cache: await openEvalCache(ws), provider: null, modelId: "none" };
  const summary = await runLoop(opened, res, { onEvent: (e) => events.push(e) });
  return { events, summary };
}

const equals = (id: string, input: number, value: number) => `  - id: ${id}\n    tool: shift\n    args: [${input}]\n    assert:\n      - type: equals\n        value: ${value}\n`;

describe("neutral moves", () => {
  it("repairs a two-step defect through a neutral variant, committed as one generation judged against the tip", async () => {
    const ws = await workspace("two-step", "export function shift(n: number): number {\n  const r = n;\n  return r;\n}\n", `cases:\n${equals("five", 5, 7)}${equals("zero", 0, 2)}`);
    const head = git(ws, "rev-parse", "HEAD");
    const { events, summary } = await run(ws);
    const detours = events.filter((e) => e.type === "detour");
    expect(detours.length).toBeGreaterThan(0);
    expect(summary.generations).toHaveLength(1);
    expect(summary.finalScore).toBe(1);
    // One commit on the tip holding both steps; its parent is the tip the run started from.
    expect(git(ws, "rev-parse", "HEAD~1")).toBe(head);
    expect(git(ws, "show", "HEAD:agent/tools/greet.ts")).toContain("const r = n + 2;");
    expect(git(ws, "log", "-1", "--format=%B")).toMatch(/off-by-one[\s\S]*literal/);
    fsckClean(ws);
  }, 120_000);

  it("stops at a dead end after the variants, naming them, and commits nothing", async () => {
    const ws = await workspace("dead-end", "export function shift(n: number): number {\n  const r = n;\n  return r;\n}\n", `cases:\n${equals("far", 5, 1000)}`);
    const head = git(ws, "rev-parse", "HEAD");
    const { events, summary } = await run(ws);
    const detours = events.filter((e) => e.type === "detour").length;
    expect(detours).toBeGreaterThan(0);
    expect(summary.stopReason).toBe(`no candidate left to try from this tree or from ${detours} neutral variant${detours === 1 ? "" : "s"} of it`);
    expect(summary.generations).toHaveLength(0);
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
    expect(git(ws, "status", "--porcelain")).toBe("");
  }, 120_000);
});
