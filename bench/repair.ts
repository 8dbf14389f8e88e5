/**
 * `npm run bench -- --only repair`: the built-in proposer on the one-bug programs of
 * bench/repair-programs/, each run in a fresh workspace that sees only the visible cases and is judged
 * afterwards on the holdout cases too. Per program and budget: repaired (holdout confirmed),
 * plausible (visible cases only), candidates evaluated, seconds; then totals. With `--baseline REF`
 * the same runs are made with the engine of another commit (exported with `git archive` and built with
 * tsc in a temp dir), in the same process of measuring, so the two are compared under the same load.
 *
 *   --budget 400,2000     budgets (default 400 and 2000)
 *   --baseline REF        also measure the engine of REF (e.g. main)
 *   --programs a,b        a subset of the programs
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../kernel/package-root.js";
import { programNames } from "./repair-data.js";
import type { RepairRun } from "./repair-child.js";

export interface RepairBenchOptions {
  budgets: number[];
  baseline: string | null;
  programs: string[] | null;
  say: (line: string) => void;
}

/** Totals of one engine at one budget. */
export interface RepairTotals {
  engine: string;
  budget: number;
  programs: number;
  repaired: number;
  plausible: number;
  candidates: number;
  seconds: number;
}

export interface RepairBenchResult {
  runs: Array<RepairRun & { engine: string }>;
  totals: RepairTotals[];
}

/** This build's dist/ (the folder holding bench/, evolution/, ...). */
function ownDist(): string {
  return path.dirname(path.dirname(fileURLToPath(import.meta.url)));
}

/** dist/ of another commit: its tree exported (no change to this repository's refs or work trees) and compiled once per commit. */
export function buildBaseline(ref: string, say: (line: string) => void): string {
  const root = packageRoot();
  const commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: root, encoding: "utf8" }).trim();
  const dir = path.join(os.tmpdir(), `evolve-repair-baseline-${commit.slice(0, 12)}`);
  const dist = path.join(dir, "dist");
  if (existsSync(path.join(dist, "evolution", "controller.js"))) return dist;
  say(`building the engine of ${ref} (${commit.slice(0, 12)}) in ${dir}`);
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync("git", ["archive", "--format=tar", commit], { cwd: root, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  if (!existsSync(path.join(dir, "node_modules"))) symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(dir, "tsconfig.json")], { stdio: "inherit" });
  return dist;
}

function runChild(engine: string, program: string, budget: number): Promise<RepairRun> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "repair-child.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, "--engine", engine, "--program", program, "--budget", String(budget)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    child.on("error", reject);
    child.on("close", (status) => {
      if (status !== 0) return reject(new Error(`repair bench: ${program} at budget ${budget} exited ${status}: ${err.trim().split("\n").at(-1) ?? ""}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as RepairRun);
    });
  });
}

function mark(r: RepairRun): string {
  return r.repaired ? "R" : r.plausible ? "p" : "-";
}

export function totalsOf(runs: ReadonlyArray<RepairRun & { engine: string }>, engine: string, budget: number): RepairTotals {
  const rs = runs.filter((r) => r.engine === engine && r.budget === budget);
  const sum = (f: (r: RepairRun) => number) => rs.reduce((a, r) => a + f(r), 0);
  return {
    engine,
    budget,
    programs: rs.length,
    repaired: rs.filter((r) => r.repaired).length,
    plausible: rs.filter((r) => r.plausible).length,
    candidates: sum((r) => r.candidates),
    seconds: Math.round(sum((r) => r.seconds) * 10) / 10,
  };
}

export async function repairBench(options: RepairBenchOptions): Promise<RepairBenchResult> {
  const engines: Array<{ name: string; dist: string }> = [{ name: "this", dist: ownDist() }];
  if (options.baseline !== null) engines.push({ name: options.baseline, dist: buildBaseline(options.baseline, options.say) });
  const programs = options.programs ?? programNames();
  const runs: RepairBenchResult["runs"] = [];
  const say = options.say;
  say(`program               ${engines.flatMap((e) => options.budgets.map((b) => `${e.name}@${b}`.padEnd(22))).join("")}`);
  for (const program of programs) {
    const cells: string[] = [];
    for (const e of engines) {
      for (const budget of options.budgets) {
        const r = { ...(await runChild(e.dist, program, budget)), engine: e.name };
        runs.push(r);
        cells.push(`${mark(r)} ${String(r.candidates).padStart(5)} ${r.seconds.toFixed(1).padStart(6)}s`.padEnd(22));
      }
    }
    say(`${program.padEnd(22)}${cells.join("")}`);
  }
  const totals = engines.flatMap((e) => options.budgets.map((b) => totalsOf(runs, e.name, b)));
  say("");
  say("R repaired (holdout confirmed), p plausible (visible cases only), - not repaired; candidates evaluated; seconds");
  for (const t of totals) {
    say(`${`${t.engine}@${t.budget}`.padEnd(16)} repaired ${t.repaired}/${t.programs}, plausible ${t.plausible}, candidates ${t.candidates}, ${t.seconds} s`);
  }
  return { runs, totals };
}
