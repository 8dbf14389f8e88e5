/**
 * The learning memory: situations and their similarity, the SQLite store (real file, reopened,
 * refused when newer or not a database), operator factors from recalled outcomes, and the loop's
 * hook recording a real run's rounds, which `evolve memory --json` then shows.
 */
import { cpSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { codeShape, memoryFactors, rankSimilar, similarity, situationOf, type MemoryEntry, type Situation } from "../memory/situation.js";
import { openLearningMemory } from "../memory/store.js";
import { orderByMemory, recallPlan, roundOutcomes, roundSituation, tuningSituation } from "../evolution/memory-hook.js";
import { runEvolution } from "../evolution/controller.js";
import { initWorkspace } from "../workspace/init.js";
import { memoryPath, openWorkspaceMemory } from "../workspace/memory.js";
import { evolveAsync, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-memory-");
afterAll(() => tmp.cleanup());

const boundary: Situation = { tool: "lastWords", failureKind: "wrong-output", assertion: "equals", shape: codeShape(["for (let i = 0; i < words.length - 1; i++) out.push(words[i]);"]) };
const entry = (s: Situation, operator: string, outcome: MemoryEntry["outcome"], at = 1): MemoryEntry => ({ situation: s, operator, description: `${operator} edit`, outcome, delta: outcome === "accepted" ? 0.1 : 0, at });

describe("situations", () => {
  it("code of the same shape in differently named tools looks alike; other code does not", () => {
    const same = codeShape(["for (let j = 0; j < items.length - 1; j++) acc.push(items[j]);"]);
    expect(same).toEqual(boundary.shape);
    const other = codeShape(['return text.split(" ").map((w) => w.trim()).join("-");']);
    const alike = similarity(boundary, { ...boundary, tool: "firstItems", shape: same });
    const unlike = similarity(boundary, { ...boundary, tool: "slug", failureKind: "throw", shape: other });
    expect(similarity(boundary, boundary)).toBe(1);
    expect(alike).toBeCloseTo(0.85, 5);
    expect(unlike).toBeLessThan(0.3);
  });

  it("reads the failure kind and assertion from a case's result line", () => {
    expect(situationOf("t", "assert[0] equals: expected 2, got 3", [])).toMatchObject({ failureKind: "wrong-output", assertion: "equals" });
    expect(situationOf("t", "assert[1] contains: call failed (timeout): took over 200 ms", [])).toMatchObject({ failureKind: "timeout", assertion: "contains" });
  });

  it("ranks by similarity, and turns recalled outcomes into operator factors", () => {
    const far: Situation = { tool: "x", failureKind: "throw", assertion: "throws", shape: codeShape(["throw new Error(msg);"]) };
    const ranked = rankSimilar([entry(far, "literal", "accepted", 5), entry(boundary, "boundary", "accepted", 1), entry(boundary, "arithmetic", "no-gain", 2)], { ...boundary, tool: "other" });
    expect(ranked.map((r) => r.operator)).toEqual(["arithmetic", "boundary"]);
    const f = memoryFactors(ranked);
    expect(f.boundary).toBeGreaterThan(2);
    expect(f.arithmetic).toBeLessThan(1);
    expect(f.literal).toBeUndefined();
    // What the model's prompt is told: only what worked, most similar first.
    expect(recallPlan(ranked)).toEqual([`in a similar situation before (similarity ${ranked[1]!.similarity}), boundary repaired it: boundary edit`]);
  });
});

describe("store", () => {
  it("keeps outcomes across opens and answers querySimilar", () => {
    const file = path.join(tmp.dir, "m1", "memory.sqlite");
    expect(openLearningMemory(file, { create: false })).toBeNull();
    const m = openLearningMemory(file, { create: true })!;
    m.record([entry(boundary, "boundary", "accepted", 10), entry(boundary, "literal", "no-gain", 11)]);
    m.close();
    const again = openLearningMemory(file, { create: false })!;
    expect(again.count()).toBe(2);
    const top = again.querySimilar({ ...boundary, tool: "elsewhere" });
    expect(top.map((r) => [r.operator, r.outcome])).toEqual([["literal", "no-gain"], ["boundary", "accepted"]]);
    expect(top[0]!.similarity).toBeCloseTo(0.85, 5);
    again.close();
  });

  it("refuses a newer schema and a file that is not a database, with a clear error", () => {
    const newer = path.join(tmp.dir, "newer.sqlite");
    const db = new Database(newer);
    db.pragma("user_version = 9");
    db.close();
    expect(() => openLearningMemory(newer, { create: false })).toThrow(expect.objectContaining({ code: "storage-version", message: expect.stringMatching(/newer evolve \(schema version 9/) }));
    const junk = path.join(tmp.dir, "junk.sqlite");
    writeFileSync(junk, "not a database at all, just some text that is long enough to be read".repeat(20));
    expect(() => openLearningMemory(junk, { create: false })).toThrow(expect.objectContaining({ code: "storage", message: expect.stringMatching(/learning memory .*junk\.sqlite failed while opening it/) }));
  });
});

describe("the loop's hook", () => {
  it("a round's situation comes from its first failing train case and the code where it edits first", () => {
    const files = new Map([["agent/tools/a.ts", "export function f(xs: number[]) {\n  let s = 0;\n  for (let i = 1; i < xs.length; i++) s += xs[i];\n  return s;\n}\n"]]);
    const cases = [{ id: "h", tool: "g", split: "holdout" }, { id: "t", tool: "f", split: "train" }] as never;
    const s = roundSituation([{ id: "h", pass: false, reason: "assert[0] equals: x" }, { id: "t", pass: false, reason: "assert[0] close-to: y" }], cases, files, { file: "agent/tools/a.ts", line: 3 })!;
    expect(s).toMatchObject({ tool: "f", failureKind: "wrong-output", assertion: "close-to" });
    expect(s.shape).toContain("< id");
    // Of two failing cases, the one whose tool the edited file defines.
    const two = [...(cases as unknown as object[]), { id: "u", tool: "other", split: "train" }] as never;
    expect(roundSituation([{ id: "u", pass: false, reason: "assert[0] equals: z" }, { id: "t", pass: false, reason: "assert[0] close-to: y" }], two, files, { file: "agent/tools/a.ts", line: 3 })!.tool).toBe("f");
    expect(roundSituation([{ id: "u", pass: false, reason: "assert[0] equals: z" }, { id: "t", pass: false, reason: "assert[0] close-to: y" }], two, files, undefined)!.tool).toBe("other");
    const tried = [{ candidate: { origin: { operator: "boundary", description: "d1" } }, stage: "evaluate", verdict: { accept: true, fixed: ["t"], delta: 0.5 } }, { candidate: { origin: { operator: "literal", description: "d2" } }, stage: "typecheck", verdict: null }];
    expect(roundOutcomes(s, tried, tried[0]!, 7).map((e) => [e.operator, e.outcome, e.delta])).toEqual([["boundary", "accepted", 0.5], ["literal", "refused", 0]]);
    expect(roundOutcomes(null, tried, null)).toEqual([]);
  });

  it("tuning variants are ordered by what helped in similar failures, stably", () => {
    expect(tuningSituation([{ target: "code", kind: "throw" }, { target: "prompt-params", kind: "max-steps" }])).toEqual({ tool: "", failureKind: "max-steps", assertion: "agent", shape: [] });
    expect(tuningSituation([{ target: "code", kind: "throw" }])).toBeNull();
    const v = ["a", "b", "c", "d"].map((operator) => ({ operator }));
    expect(orderByMemory(v, { c: 3, a: 0.5 }).map((x) => x.operator)).toEqual(["c", "b", "d", "a"]);
  });

  it("a real run records its rounds, and evolve memory shows them", async () => {
    const ws = path.join(tmp.dir, "run");
    await initWorkspace(ws, { example: "textkit" });
    const memory = (await openWorkspaceMemory(ws, { create: true }))!;
    try {
      const summary = await runEvolution({ dir: ws, generations: 1, candidatesPerGeneration: 8, budget: 8, memory });
      expect(summary.rounds).toBe(1);
      expect(memory.count()).toBe(8);
    } finally {
      memory.close();
    }
    const r = await evolveAsync(["memory", "--workspace", ws, "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.entries).toBe(8);
    expect(shown.operators.reduce((n: number, o: { tried: number }) => n + o.tried, 0)).toBe(8);
    expect(shown.recent[0].situation.tool).not.toBe("");
  }, 60_000);

  it("evolve run --memory reads and feeds the workspace's memory; without it the memory is left alone", async () => {
    const ws = path.join(tmp.dir, "cli-run");
    await initWorkspace(ws, { example: "textkit" });
    const bare = path.join(tmp.dir, "cli-run-bare");
    cpSync(ws, bare, { recursive: true });
    const args = ["--generations", "1", "--candidates", "8", "--budget", "8", "--json", "--no-progress"];
    const first = await evolveAsync(["run", "--workspace", ws, "--memory", ...args], tmp.dir);
    expect(first.status, first.stderr).toBe(0);
    const shown = await evolveAsync(["memory", "--workspace", ws, "--json"], tmp.dir);
    expect(JSON.parse(shown.stdout).entries).toBe(8);
    // The next run adds its rows to the first run's, in the same file.
    const second = await evolveAsync(["run", "--workspace", ws, "--memory", ...args], tmp.dir);
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse((await evolveAsync(["memory", "--workspace", ws, "--json"], tmp.dir)).stdout).entries).toBeGreaterThan(8);

    const none = await evolveAsync(["run", "--workspace", bare, ...args], tmp.dir);
    expect(none.status, none.stderr).toBe(0);
    expect(existsSync(await memoryPath(bare))).toBe(false);
  }, 120_000);
});
