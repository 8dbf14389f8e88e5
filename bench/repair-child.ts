/**
 * One run of the repair benchmark, in a process of its own: `node dist/bench/repair-child.js
 * --engine DIST --program NAME --budget N`. The program becomes a fresh workspace repository with
 * only its visible cases, the engine under test (any build's dist/, so another commit's engine can be
 * measured beside this one) evolves it, and this build's evaluator then judges the tool the run left
 * behind against visible and holdout cases. Prints one JSON object (RepairRun).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { initRepository } from "../ledger/index.js";
import { loadSuite } from "../golden-tests/index.js";
import { createEvaluator, measureFiles } from "../golden-tests/evaluate.js";
import { createSandbox } from "../sandbox/pool.js";
import type { Sandbox } from "../sandbox/pool.js";
import { judgeFiles, readProgram, workspaceFiles } from "./repair-data.js";
import type { RepairProgram } from "./repair-data.js";

/** What one run reports. */
export interface RepairRun {
  program: string;
  budget: number;
  /** Every visible and every holdout case passes after the run. */
  repaired: boolean;
  /** Every visible case passes but some holdout case fails: an overfitted patch. */
  plausible: boolean;
  /** Candidates evaluated in the sandbox (what the budget counts). */
  candidates: number;
  /** Wall time of the run, seconds (set-up and judging excluded). */
  seconds: number;
  generations: number;
  stopReason: string;
}

interface EngineSummary {
  candidates: { evaluated: number };
  generations: unknown[];
  stopReason: string;
}
type RunEvolution = (o: { dir: string; budget: number }) => Promise<EngineSummary>;

function flag(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`repair-child: ${name} is required`);
  return v;
}

/** Visible and holdout verdicts of a tool's text, by this build's evaluator (in `sandbox` when given, else one of its own). */
export async function judgeSource(p: RepairProgram, source: string, shared?: Sandbox): Promise<{ visible: boolean; holdout: boolean }> {
  const suite = loadSuite(judgeFiles(p, source), "judge");
  const sandbox = shared ?? createSandbox({ workers: 1, timeoutMs: 1000, memoryMb: 128 });
  try {
    const measured = await measureFiles(createEvaluator(suite, sandbox, { allowImports: [] }), judgeFiles(p, source));
    if (!measured.ok) return { visible: false, holdout: false };
    const all = (prefix: string) => measured.measurement.results.filter((r) => r.id.startsWith(prefix)).every((r) => r.pass);
    return { visible: all("visible-"), holdout: all("holdout-") };
  } finally {
    if (shared === undefined) await sandbox.destroy();
  }
}

async function main(): Promise<void> {
  const engine = path.resolve(flag("--engine"));
  const budget = Number(flag("--budget"));
  const p = readProgram(flag("--program"));
  const tmp = mkdtempSync(path.join(os.tmpdir(), "evolve-repair-"));
  try {
    const dir = path.join(tmp, p.name);
    await initRepository(dir, workspaceFiles(p, budget), { message: `evolve: gen 0: ${p.name}\n`, tagName: "gen-0", tagMessage: "generation 0\n" });
    const { runEvolution } = (await import(pathToFileURL(path.join(engine, "evolution", "controller.js")).href)) as { runEvolution: RunEvolution };
    const t0 = performance.now();
    const summary = await runEvolution({ dir, budget });
    const seconds = (performance.now() - t0) / 1000;
    const after = readFileSync(path.join(dir, "agent", "tools", `${p.name}.ts`), "utf8");
    const verdict = await judgeSource(p, after);
    const run: RepairRun = {
      program: p.name,
      budget,
      repaired: verdict.visible && verdict.holdout,
      plausible: verdict.visible && !verdict.holdout,
      candidates: summary.candidates.evaluated,
      seconds: Math.round(seconds * 100) / 100,
      generations: summary.generations.length,
      stopReason: summary.stopReason,
    };
    process.stdout.write(`${JSON.stringify(run)}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    process.stderr.write(`repair-child: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
