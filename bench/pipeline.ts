/**
 * `npm run bench`: evolve the bundled workspace and time every stage, beside a naive pipeline measured
 * in the same run on the same machine (write the candidate to a temp dir, run tsc, run the cases in a
 * fresh node process). Reports medians over repeats; ratios only against the same-run baseline.
 *
 *   npm run bench                  human-readable report
 *   npm run bench -- --json        one JSON object (candidatesPerSecond, naiveRatio, ...)
 *   npm run bench -- --repeats 5   more repeats of the evolve run (default 3)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { initWorkspace, exampleFiles } from "../workspace/init.js";
import { parseConfig, isEvolvable } from "../workspace/config.js";
import { runEvolution } from "../evolution/controller.js";
import type { RunSummary, StageTimes } from "../evolution/controller.js";
import { analyse, enumerateEdits } from "../evolution/analyse.js";
import { applyEdits } from "../evolution/edits.js";
import { createRng } from "../evolution/rng.js";
import { loadSuite, checkCase, scoreSuite, createCustomAssertionRunner } from "../golden-tests/index.js";
import type { CaseOutcome } from "../golden-tests/index.js";
import type { FileMap } from "../kernel/files.js";

const EXAMPLE = "textkit";

interface Args {
  json: boolean;
  repeats: number;
  naive: number;
}

function parseArgs(argv: readonly string[]): Args {
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return { json: argv.includes("--json"), repeats: Number(at("--repeats") ?? 3), naive: Number(at("--naive") ?? 6) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** One full `evolve run` on a fresh copy of the example. */
async function evolveOnce(): Promise<RunSummary> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "evolve-bench-"));
  try {
    const { dir } = await initWorkspace(path.join(tmp, EXAMPLE), { example: EXAMPLE });
    return await runEvolution({ dir });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The naive pipeline for one candidate: files on disk, tsc in a process, cases in a fresh node process. */
function naiveCandidate(files: FileMap, casesJson: string, tscPath: string): { ms: number; outcomes: CaseOutcome[] | null } {
  const t0 = performance.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), "evolve-naive-"));
  try {
    for (const [p, text] of files) {
      mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      writeFileSync(path.join(dir, p), text);
    }
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", strict: true, resolveJsonModule: true, esModuleInterop: true, skipLibCheck: true, outDir: "out", rootDir: "." }, include: ["agent/**/*.ts", "agent/**/*.json"] }),
    );
    const tsc = spawnSync(process.execPath, [tscPath, "-p", dir], { encoding: "utf8" });
    if (tsc.status !== 0) return { ms: performance.now() - t0, outcomes: null };
    writeFileSync(path.join(dir, "cases.json"), casesJson);
    writeFileSync(
      path.join(dir, "run.cjs"),
      `const fs = require("fs"), path = require("path");
const tools = {};
for (const f of fs.readdirSync(path.join(__dirname, "out/agent/tools"))) if (f.endsWith(".js")) Object.assign(tools, require(path.join(__dirname, "out/agent/tools", f)));
(async () => {
  const out = [];
  for (const c of JSON.parse(fs.readFileSync(path.join(__dirname, "cases.json"), "utf8"))) {
    const t = Date.now();
    try { out.push({ id: c.id, ok: true, output: await tools[c.tool](...c.args), ms: Date.now() - t }); }
    catch (e) { out.push({ id: c.id, ok: false, kind: "throw", error: String(e && e.message), ms: Date.now() - t }); }
  }
  process.stdout.write(JSON.stringify(out));
})();`,
    );
    const run = execFileSync(process.execPath, [path.join(dir, "run.cjs")], { encoding: "utf8", env: {} });
    return { ms: performance.now() - t0, outcomes: JSON.parse(run) as CaseOutcome[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function naiveBaseline(count: number): Promise<{ medianMs: number; samples: number[] }> {
  const files = exampleFiles(EXAMPLE);
  const config = parseConfig(files.get("evolve.config.yaml")!);
  const suite = loadSuite(files);
  const custom = createCustomAssertionRunner(suite);
  const casesJson = JSON.stringify(suite.cases.map((c) => ({ id: c.id, tool: c.tool, args: c.args })));
  const tscPath = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const edits = enumerateEdits(analyse(files, (p) => isEvolvable(config, p)), { rng: createRng(1) });
  const samples: number[] = [];
  for (const edit of edits.slice(0, count)) {
    const r = naiveCandidate(applyEdits(files, [edit]), casesJson, tscPath);
    // Check the outputs too, as the real pipeline does, so both sides do the same work.
    if (r.outcomes !== null) scoreSuite(suite, await Promise.all(r.outcomes.map((o) => checkCase(suite.cases.find((c) => c.id === o.id)!, o, custom))));
    samples.push(r.ms);
  }
  return { medianMs: median(samples), samples: samples.map((x) => round(x)) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const say = (s: string) => (args.json ? process.stderr : process.stdout).write(`${s}\n`);
  say(`evolve bench: ${args.repeats} evolve runs of "${EXAMPLE}", ${args.naive} naive candidates; node ${process.version}, ${os.cpus().length} cores`);

  const runs: RunSummary[] = [];
  for (let i = 0; i < args.repeats; i++) {
    const s = await evolveOnce();
    const n = s.candidates.evaluated + s.candidates.fromCache + Object.values(s.candidates.refused).reduce((a, b) => a + b, 0);
    say(`  run ${i + 1}: ${n} candidates (${s.candidates.evaluated} evaluated in the sandbox) in ${round(s.wallMs / 1000)} s = ${s.candidates.perSecond}/s; ${s.generations.length} generations, score ${s.initialScore} -> ${s.finalScore}`);
    runs.push(s);
  }
  const naive = await naiveBaseline(args.naive);
  say(`  naive: median ${round(naive.medianMs)} ms per candidate over ${naive.samples.length} (${naive.samples.join(", ")})`);

  const perSecond = median(runs.map((r) => r.candidates.perSecond));
  const evaluatedPerSecond = median(runs.map((r) => (r.candidates.evaluated / r.wallMs) * 1000));
  const naivePerSecond = 1000 / naive.medianMs;
  const stageKeys = Object.keys(runs[0]!.stages) as Array<keyof StageTimes>;
  const totalCandidates = (r: RunSummary) => r.candidates.evaluated + r.candidates.fromCache + Object.values(r.candidates.refused).reduce((a, b) => a + b, 0);
  const stagesMsPerCandidate = Object.fromEntries(stageKeys.map((k) => [k, round(median(runs.map((r) => r.stages[k] / Math.max(1, totalCandidates(r)))), 3)]));
  const stagesTotalMs = Object.fromEntries(stageKeys.map((k) => [k, round(median(runs.map((r) => r.stages[k])))]));
  const result = {
    example: EXAMPLE,
    repeats: args.repeats,
    candidatesPerSecond: round(perSecond),
    evaluatedPerSecond: round(evaluatedPerSecond),
    naiveCandidatesPerSecond: round(naivePerSecond, 3),
    naiveRatio: round(perSecond / naivePerSecond, 1),
    naiveMedianMs: round(naive.medianMs),
    wallMsMedian: round(median(runs.map((r) => r.wallMs))),
    stagesTotalMs,
    stagesMsPerCandidate,
    runs: runs.map((r) => ({ candidates: totalCandidates(r), evaluated: r.candidates.evaluated, wallMs: r.wallMs, generations: r.generations.length, finalScore: r.finalScore })),
  };
  say("");
  say(`candidates/s (median of ${args.repeats}): ${result.candidatesPerSecond} (evaluated in the sandbox: ${result.evaluatedPerSecond}/s)`);
  say(`naive pipeline: ${result.naiveCandidatesPerSecond}/s -> ratio ${result.naiveRatio}x`);
  say(`per-stage total ms (median): ${stageKeys.map((k) => `${k} ${stagesTotalMs[k]}`).join(", ")}`);
  say(`per-stage ms per candidate: ${stageKeys.map((k) => `${k} ${stagesMsPerCandidate[k]}`).join(", ")}`);
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
