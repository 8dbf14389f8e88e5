/**
 * The repair benchmark's programs (bench/repair-programs/NAME/): a tool module with one seeded bug
 * (tool.ts) and cases.yaml holding the tool's name, the kind of bug, the one-line fix (used only to
 * prove the program repairable), the visible cases a run sees and the holdout cases it never sees.
 * Turned here into workspace files, so the benchmark and its test share one reading of the data.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { packageRoot } from "../kernel/package-root.js";
import type { FileMap } from "../kernel/files.js";

/** One benchmark program, read from its folder. */
export interface RepairProgram {
  name: string;
  /** The exported function the cases call. */
  tool: string;
  /** What the seeded bug is, in a few words. */
  kind: string;
  /** The buggy module's text. */
  source: string;
  /** The module with the known fix applied: proof that one small change repairs it. */
  fixed: string;
  /** Golden YAML of the cases a run sees (all train). */
  visibleYaml: string;
  /** Golden YAML of the cases kept out of the run, judged afterwards. */
  holdoutYaml: string;
}

/** Where the programs live. */
export function programsDir(): string {
  return path.join(packageRoot(), "bench", "repair-programs");
}

type CaseRow = [unknown[], unknown];

function casesYaml(tool: string, prefix: string, rows: readonly CaseRow[]): string {
  const cases = rows.map(([args, value], i) => ({ id: `${prefix}-${i + 1}`, tool, args, assert: [{ type: "equals", value }] }));
  // JSON is YAML: no quoting rules of our own to get wrong.
  return `cases: ${JSON.stringify(cases)}\n`;
}

/** Read one program; a malformed folder is an error naming the file and the field. */
export function readProgram(name: string, dir = programsDir()): RepairProgram {
  const file = path.join(dir, name, "cases.yaml");
  const raw = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const need = (key: string, ok: (v: unknown) => boolean): unknown => {
    const v = raw[key];
    if (!ok(v)) throw new Error(`${file}: field "${key}" is missing or malformed`);
    return v;
  };
  const isRows = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((r) => Array.isArray(r) && r.length === 2 && Array.isArray(r[0]));
  const tool = need("tool", (v) => typeof v === "string") as string;
  const kind = need("kind", (v) => typeof v === "string") as string;
  const fix = need("fix", (v) => Array.isArray(v) && v.length === 2 && v.every((s) => typeof s === "string")) as [string, string];
  const source = readFileSync(path.join(dir, name, "tool.ts"), "utf8");
  if (source.split(fix[0]).length !== 2) throw new Error(`${file}: field "fix": its first string must occur exactly once in tool.ts`);
  return {
    name,
    tool,
    kind,
    source,
    fixed: source.replace(fix[0], () => fix[1]),
    visibleYaml: casesYaml(tool, "visible", need("visible", isRows) as CaseRow[]),
    holdoutYaml: casesYaml(tool, "holdout", need("holdout", isRows) as CaseRow[]),
  };
}

/** Every program's name, sorted. */
export function programNames(dir = programsDir()): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The workspace config of a benchmark run: tools evolvable, generations unbounded so the budget decides. */
export function benchConfig(name: string, budget: number): string {
  return [
    "version: 1",
    `agent: { name: ${JSON.stringify(name)} }`,
    'evolvable: ["agent/tools/**/*.ts"]',
    `evolution: { generations: 10000, candidatesPerGeneration: 32, budget: ${budget}, seed: 1, operators: [all] }`,
    "safety: { maxChangesPerCycle: 2, recheckRepeats: 1, approvalAboveLines: 40 }",
    // The tools answer in microseconds; a mutant that loops is stopped soon.
    "sandbox: { timeoutMs: 200, memoryMb: 128, workers: 2, allowImports: [] }",
    "",
  ].join("\n");
}

/** The files of a program's workspace as a run sees it: the tool and its visible cases only. */
export function workspaceFiles(p: RepairProgram, budget: number, source = p.source): FileMap {
  return new Map([
    ["evolve.config.yaml", benchConfig(p.name, budget)],
    [`agent/tools/${p.name}.ts`, source],
    ["golden-tests/visible.yaml", p.visibleYaml],
  ]);
}

/** The files to judge a result by: the tool as the run left it, visible and holdout cases together. */
export function judgeFiles(p: RepairProgram, source: string): FileMap {
  return new Map([
    [`agent/tools/${p.name}.ts`, source],
    ["judge/visible.yaml", p.visibleYaml],
    ["judge/holdout.yaml", p.holdoutYaml],
  ]);
}
