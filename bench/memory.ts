/**
 * The learning memory, measured: candidates evaluated before the first repair of a defect like ones
 * repaired before, with the memory and without it, in the same run.
 *
 * A training workspace holds three tools with the same kind of defect (a loop bound one short,
 * `i < n - 1`), written differently; one run with a fresh memory repairs them and records what it
 * tried. Then, for each seed, a new workspace with a fourth such defect in a tool of another name
 * is repaired twice from scratch: once with a copy of the trained memory, once without. Candidates
 * to first repair = candidate events up to the first the judge accepts. Medians over the seeds.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { initRepository } from "../ledger/index.js";
import { runEvolution } from "../evolution/controller.js";
import { openLearningMemory } from "../memory/store.js";
import { quantileSorted } from "../kernel/statistics.js";

export interface MemoryBenchResult {
  seeds: number[];
  trained: { outcomes: number; repairs: number };
  withMemory: number[];
  withoutMemory: number[];
  medianWith: number;
  medianWithout: number;
  /** medianWithout / medianWith: how many times fewer candidates the memory needs. */
  ratio: number;
}

// A generous per-case limit: these tools answer in microseconds, and on a loaded machine a tight one
// turns a true repair into a timeout, which would measure the load, not the memory.
const CONFIG = `version: 1
agent:
  name: memory-bench
evolvable: ["agent/tools/**/*.ts"]
evolution: { generations: 3, candidatesPerGeneration: 16, budget: 200, seed: 1, operators: [all] }
safety: { maxChangesPerCycle: 1, requireTestSuite: true, rollbackOnRegression: false, recheckRepeats: 0, approvalAboveLines: 40 }
sandbox: { timeoutMs: 2000, memoryMb: 128, workers: 2, allowImports: [] }
`;

/** A tool that should return the first `n` items, but its bound stops one short; each written its own way. */
const TOOLS: Record<string, string> = {
  firstItems: `export function firstItems(items: number[], n: number): number[] {\n  const out: number[] = [];\n  for (let i = 0; i < n - 1; i++) {\n    if (i >= items.length) break;\n    out.push(items[i]!);\n  }\n  return out;\n}\n`,
  headWords: `export function headWords(text: string, count: number): string {\n  const words = text.split(" ");\n  const kept: string[] = [];\n  for (let k = 0; k < count - 1; k++) {\n    if (k >= words.length) break;\n    kept.push(words[k]!);\n  }\n  return kept.join(" ");\n}\n`,
  sumFirst: `export function sumFirst(values: number[], m: number): number {\n  let total = 0;\n  for (let j = 0; j < m - 1; j++) {\n    if (j >= values.length) break;\n    total += values[j]!;\n  }\n  return total;\n}\n`,
  takeChars: `export function takeChars(s: string, len: number): string {\n  let r = "";\n  for (let p = 0; p < len - 1; p++) {\n    if (p >= s.length) break;\n    r += s[p]!;\n  }\n  return r;\n}\n`,
};

/** Each tool's correct outputs, as golden cases. */
const CASES: Record<string, Array<{ args: unknown[]; value: unknown }>> = {
  firstItems: [{ args: [[4, 5, 6, 7], 2], value: [4, 5] }, { args: [[1, 2, 3], 3], value: [1, 2, 3] }],
  headWords: [{ args: ["a b c d", 2], value: "a b" }, { args: ["x y", 1], value: "x" }],
  sumFirst: [{ args: [[1, 2, 3, 4], 3], value: 6 }, { args: [[5, 5], 1], value: 5 }],
  takeChars: [{ args: ["hello", 4], value: "hell" }, { args: ["ab", 1], value: "a" }],
};

/** Helper tools every workspace has, correct, so the search also has code that is not the defect. */
const HELPERS = `export function clamp(x: number, lo: number, hi: number): number {\n  if (x < lo) return lo;\n  if (x > hi) return hi;\n  return x;\n}\n\nexport function countVowels(s: string): number {\n  let n = 0;\n  for (const ch of s.toLowerCase()) if ("aeiou".includes(ch)) n++;\n  return n;\n}\n`;
const HELPER_CASES = `cases:\n  - id: clamp-in\n    tool: clamp\n    args: [5, 0, 10]\n    assert: [{ type: equals, value: 5 }]\n  - id: clamp-low\n    tool: clamp\n    args: [-1, 0, 10]\n    assert: [{ type: equals, value: 0 }]\n  - id: vowels\n    tool: countVowels\n    args: ["evolve"]\n    assert: [{ type: equals, value: 3 }]\n`;

function workspaceFiles(tools: readonly string[]): Map<string, string> {
  const files = new Map<string, string>([["evolve.config.yaml", CONFIG], ["agent/tools/helpers.ts", HELPERS], ["golden-tests/helpers.yaml", HELPER_CASES]]);
  for (const t of tools) {
    files.set(`agent/tools/${t}.ts`, TOOLS[t]!);
    const cases = CASES[t]!.map((c, i) => `  - id: ${t}-${i}\n    tool: ${t}\n    args: ${JSON.stringify(c.args)}\n    assert: [{ type: equals, value: ${JSON.stringify(c.value)} }]\n`).join("");
    files.set(`golden-tests/${t}.yaml`, `cases:\n${cases}`);
  }
  return files;
}

async function makeWorkspace(dir: string, tools: readonly string[]): Promise<void> {
  await initRepository(dir, workspaceFiles(tools), { message: "evolve: gen 0: memory bench\n\nEvolve-Generation: 0\n", tagName: "gen-0", tagMessage: "gen 0\n" });
}

/** Candidate events up to and including the first the judge accepts (the budget + 1 when none is). */
async function candidatesToRepair(dir: string, seed: number, memoryFile: string | null): Promise<number> {
  const memory = memoryFile === null ? undefined : (openLearningMemory(memoryFile, { create: true }) ?? undefined);
  let count = 0;
  let first: number | null = null;
  try {
    await runEvolution({
      dir,
      seed,
      generations: 1,
      budget: 200,
      candidatesPerGeneration: 200,
      ...(memory ? { memory } : {}),
      onEvent: (e) => {
        if (e.type !== "candidate") return;
        count++;
        if (e.accepted && first === null) first = count;
      },
    });
  } finally {
    memory?.close();
  }
  return first ?? count + 1;
}

export async function memoryBench(o: { quick: boolean; say: (line: string) => void }): Promise<MemoryBenchResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "evolve-bench-memory-"));
  try {
    const trainedFile = path.join(tmp, "trained.sqlite");
    const train = path.join(tmp, "train");
    await makeWorkspace(train, ["firstItems", "headWords", "sumFirst"]);
    const memory = openLearningMemory(trainedFile, { create: true })!;
    let repairs = 0;
    try {
      const run = await runEvolution({ dir: train, generations: 3, memory });
      repairs = run.generations.length;
    } finally {
      memory.close();
    }
    const outcomes = openLearningMemory(trainedFile, { create: false })!;
    const trained = { outcomes: outcomes.count(), repairs };
    outcomes.close();
    o.say(`  trained on 3 similar defects: ${repairs} repaired, ${trained.outcomes} outcomes remembered`);

    const seeds = o.quick ? [1, 2, 3] : [1, 2, 3, 4, 5, 6, 7];
    const withMemory: number[] = [];
    const withoutMemory: number[] = [];
    for (const seed of seeds) {
      const copy = path.join(tmp, `memory-${seed}.sqlite`);
      copyFileSync(trainedFile, copy);
      const a = path.join(tmp, `with-${seed}`);
      const b = path.join(tmp, `without-${seed}`);
      await makeWorkspace(a, ["takeChars"]);
      await makeWorkspace(b, ["takeChars"]);
      withMemory.push(await candidatesToRepair(a, seed, copy));
      withoutMemory.push(await candidatesToRepair(b, seed, null));
      o.say(`  seed ${seed}: candidates to first repair: ${withMemory.at(-1)} with memory, ${withoutMemory.at(-1)} without`);
    }
    const median = (xs: number[]): number => quantileSorted(Float64Array.from(xs).sort(), 0.5);
    const medianWith = median(withMemory);
    const medianWithout = median(withoutMemory);
    const ratio = Math.round((medianWithout / medianWith) * 100) / 100;
    o.say(`  median: ${medianWith} with memory, ${medianWithout} without (${ratio}x fewer with memory)`);
    return { seeds, trained, withMemory, withoutMemory, medianWith, medianWithout, ratio };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
