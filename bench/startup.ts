/**
 * Start-up of the command line: `evolve --help` against Node's own start (`node -e ''`), and
 * `evolve log` / `evolve eval` (cached) on a fresh textkit workspace, each a child process, runs
 * interleaved so load on the machine hits every variant alike. Reported as medians and as the
 * difference to `node -e ''`, measured in the same run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface StartupResult {
  runs: number;
  /** Median wall ms per variant. */
  medianMs: Record<string, number>;
  /** Median minus node -e '' median, ms. */
  overNodeMs: Record<string, number>;
}

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "evolve.js");

function timed(args: readonly string[], cwd: string): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`startup bench: ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return Math.round((s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2) * 10) / 10;
}

export async function startupBench(options: { quick: boolean; say: (line: string) => void }): Promise<StartupResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "evolve-startup-"));
  try {
    const ws = path.join(dir, "ws");
    timed([CLI, "init", ws, "--example", "textkit"], dir);
    timed([CLI, "eval", "-C", ws], dir); // fills the cache: the measured eval is the cached one
    const variants: Record<string, string[]> = {
      "node -e ''": ["-e", ""],
      "evolve --help": [CLI, "--help"],
      "evolve log": [CLI, "log", "-C", ws],
      "evolve eval (cached)": [CLI, "eval", "-C", ws],
    };
    const runs = options.quick ? 5 : 15;
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (const args of Object.values(variants)) timed(args, dir); // warm the file cache
    for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(variants)) samples[name]!.push(timed(args, dir));
    const medianMs = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const base = medianMs["node -e ''"]!;
    const overNodeMs = Object.fromEntries(Object.entries(medianMs).map(([k, v]) => [k, Math.round((v - base) * 10) / 10]));
    for (const k of Object.keys(variants)) options.say(`  ${k.padEnd(22)} median ${String(medianMs[k]).padStart(7)} ms   +${overNodeMs[k]} ms over node -e ''   (${runs} runs)`);
    return { runs, medianMs, overNodeMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
