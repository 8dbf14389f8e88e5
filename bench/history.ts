/**
 * History benchmarks (issue 3, item 6), each beside native git doing the same work in the same run:
 *
 * - commit + tag per generation: commitChanges (objects, annotated tag, branch ref, work tree and
 *   index) vs spawned `git commit -a` + `git tag -a` on an identical workspace;
 * - `evolve log` over 1,000 and 10,000 generations: firstParentLog (tags and trailers parsed) in
 *   process, and the `evolve log --json` command, vs `git log --first-parent` printing the
 *   decorations and trailers;
 * - bisect over 1,000 generations: our bisect with a predicate reading one file of each commit from
 *   the object store, vs `git bisect run` with a script reading the same file from its checkout.
 *
 * The long histories are written with `git fast-import` (packed objects, loose tag refs): writing
 * 10,000 commits through the ledger would time the ledger, not the log. Times are medians; a ratio
 * is ours / native (below 1: we are faster).
 *
 *   node dist/bench/history.js [--quick] [--json]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { initWorkspace } from "../workspace/init.js";
import { commitChanges, firstParentLog, readFileAt } from "../ledger/index.js";
import { buildHistory, generationMessage, GIT_ENV } from "./history-repo.js";

export { buildHistory } from "./history-repo.js";
import { bisectRange } from "../history/bisect-search.js";
import type { Verdict } from "../history/bisect-search.js";
import { TRAILER } from "../ledger/record.js";
import { GENERATION_INDEX_PATH } from "../ledger/generation-index.js";
import { createRng } from "../evolution/rng.js";

/** How much work each benchmark does. */
export interface HistoryOptions {
  /** Fewer samples and repeats (about a third of the time); the sizes stay 1,000 and 10,000. */
  quick?: boolean;
  /** Progress lines (default: none). */
  say?: (line: string) => void;
  /** Seed of the planted regression (default 7). */
  seed?: number;
  /**
   * The dist/ directory of another build of evolve (default: $EVOLVE_BENCH_BASELINE): commit + tag
   * and bisect are then also measured with its ledger, in the same run, as "before".
   */
  baseline?: string;
  /** History sizes to log (default 1,000, 10,000 and 100,000; --quick leaves out 100,000). */
  sizes?: readonly number[];
}

/** The modules a baseline build provides. */
interface Baseline {
  commitChanges: typeof commitChanges;
  bisectRange: typeof bisectRange;
  readFileAt: typeof readFileAt;
}

async function loadBaseline(dir: string | undefined): Promise<Baseline | null> {
  if (dir === undefined || dir === "") return null;
  const ledger = (await import(pathToFileURL(path.join(path.resolve(dir), "ledger", "index.js")).href)) as Baseline;
  const search = (await import(pathToFileURL(path.join(path.resolve(dir), "history", "bisect-search.js")).href)) as Pick<Baseline, "bisectRange">;
  return { commitChanges: ledger.commitChanges, readFileAt: ledger.readFileAt, bisectRange: search.bisectRange };
}

/** Milliseconds of one operation, ours beside native git's, and ours / native. */
export interface Timing {
  oursMs: number;
  nativeMs: number;
  ratio: number;
}

/** What historyBench measured. */
export interface HistoryResult {
  /** One generation: commit one changed file with evolve's message and trailers, tag it gen-N. */
  commitTag: Timing & { samples: number; baselineMs: number | null };
  /** The log of a history of `generations` commits, in process and through the CLI. */
  log: Array<{
    generations: number;
    repeats: number;
    /** firstParentLog in a fresh process (bench/log-probe.ts): commits, tags and trailers (the index already built). */
    ours: Timing;
    /** The first firstParentLog, with no generation index: packs read in bulk, the index written. */
    coldMs: number;
    /** Size of .git/evolve/generation-index afterwards. */
    indexBytes: number;
    /** `evolve log --json` as a user runs it (node start-up included). */
    cli: Timing;
    /** What `evolve log --json` does, in a fresh process: the index read, rows made, the JSON text produced (not printed). */
    command: Timing;
  }>;
  /** First bad generation of a 1,000-generation history; both must find the planted commit. */
  bisect: {
    generations: number;
    firstBad: number;
    repeats: number;
    /** evolve's bisect as `evolve bisect` runs it: both ends verified, then the search. */
    ours: { evaluations: number; ms: number };
    /** Ends trusted, as `git bisect run` trusts them: the same work as native. */
    oursTrusted: { evaluations: number; ms: number };
    native: { evaluations: number; ms: number };
    /** The baseline build's bisect with ends trusted, measured in the same run (null: no baseline). */
    baselineTrusted: { evaluations: number; ms: number } | null;
    /** oursTrusted.ms / native.ms. */
    ratio: number;
  };
  wallMs: number;
}

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "evolve.js");
const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), "log-probe.js");

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const timing = (ours: readonly number[], native: readonly number[]): Timing => {
  const o = median(ours);
  const n = median(native);
  return { oursMs: round(o), nativeMs: round(n), ratio: round(o / n, 3) };
};

function run(cmd: string, args: readonly string[], cwd: string, input?: string | Buffer): string {
  const r = spawnSync(cmd, args, { cwd, env: GIT_ENV, input, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

async function timed<T>(f: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

// --- commit + tag per generation ---

async function benchCommitTag(samples: number, say: (s: string) => void, baseline: Baseline | null): Promise<HistoryResult["commitTag"]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "evolve-bench-commit-"));
  try {
    const ours = path.join(tmp, "ours");
    const native = path.join(tmp, "native");
    const before = path.join(tmp, "before");
    await initWorkspace(ours, { example: "textkit" });
    await initWorkspace(native, { example: "textkit" });
    if (baseline !== null) await initWorkspace(before, { example: "textkit" });
    // With an index present, each commit also appends itself to it (the hook this run measures).
    await firstParentLog(ours, "HEAD");
    const baselineMs: number[] = [];
    let beforeParent = baseline === null ? "" : run("git", ["rev-parse", "HEAD"], before).trim();
    const file = "agent/params.json";
    const base = readFileSync(path.join(ours, file), "utf8");
    const params = JSON.parse(base) as Record<string, unknown>;
    // Alternate the two so that machine noise hits both sides alike.
    const oursMs: number[] = [];
    const nativeMs: number[] = [];
    let parent = run("git", ["rev-parse", "HEAD"], ours).trim();
    for (let n = 1; n <= samples; n++) {
      const message = generationMessage(n);
      const text = `${JSON.stringify({ ...params, benchGeneration: n }, null, 2)}\n`;
      const a = await timed(() => commitChanges(ours, { branch: "main", parent, changes: new Map([[file, text]]), message, tagName: `gen-${n}`, tagMessage: `generation ${n}` }));
      parent = a.value.commit;
      oursMs.push(a.ms);
      const b = await timed(() => {
        writeFileSync(path.join(native, file), text);
        run("git", ["commit", "-a", "-q", "-F", "-"], native, message);
        run("git", ["tag", "-a", `gen-${n}`, "-F", "-"], native, `generation ${n}\n`);
      });
      nativeMs.push(b.ms);
      if (baseline !== null) {
        const c = await timed(() => baseline.commitChanges(before, { branch: "main", parent: beforeParent, changes: new Map([[file, text]]), message, tagName: `gen-${n}`, tagMessage: `generation ${n}` }));
        beforeParent = c.value.commit;
        baselineMs.push(c.ms);
      }
    }
    // Same content, same messages: the two histories must hold the same trees.
    const treeOf = (dir: string) => run("git", ["rev-parse", "HEAD^{tree}"], dir).trim();
    if (treeOf(ours) !== treeOf(native)) throw new Error("commit bench: ours and native ended at different trees");
    if (run("git", ["status", "--porcelain"], ours) !== "") throw new Error("commit bench: our work tree is not clean after committing");
    if (!existsSync(path.join(ours, ".git", GENERATION_INDEX_PATH))) throw new Error("commit bench: the generation index is missing");
    const t = timing(oursMs, nativeMs);
    const before_ = baselineMs.length > 0 ? round(median(baselineMs)) : null;
    say(`  commit + tag, ${samples} generations: ours ${t.oursMs} ms, native ${t.nativeMs} ms (ratio ${t.ratio})${before_ === null ? "" : `; baseline build ${before_} ms`}`);
    return { ...t, samples, baselineMs: before_ };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// --- long histories (written by history-repo.ts) ---

async function benchLog(dir: string, generations: number, repeats: number, say: (s: string) => void): Promise<HistoryResult["log"][number]> {
  const ours: number[] = [];
  const cli: number[] = [];
  const command: number[] = [];
  const native: number[] = [];
  rmSync(path.join(dir, ".git", "evolve"), { recursive: true, force: true });
  const cold = await timed(() => firstParentLog(dir, "HEAD"));
  if (cold.value.length !== generations + 1) throw new Error(`log bench: the cold firstParentLog gave ${cold.value.length} entries`);
  const indexBytes = statSync(path.join(dir, ".git", GENERATION_INDEX_PATH)).size;
  if (cold.value[0]?.tags[0] !== `gen-${generations}`) throw new Error("log bench: the tip's tag is missing from firstParentLog");
  for (let i = 0; i < repeats; i++) {
    const b = await timed(() => run(process.execPath, [CLI, "log", "--workspace", dir, "--json"], dir));
    const rows = JSON.parse(b.value) as Array<{ generation: number | null }>;
    if (rows.length !== generations + 1 || rows[0]?.generation !== generations) throw new Error(`log bench: evolve log --json gave ${rows.length} rows`);
    cli.push(b.ms);
    const c = await timed(() => run("git", ["log", "--first-parent", "--decorate=short", "--format=%H %D%n%(trailers)"], dir));
    if (!c.value.includes(`Evolve-Generation: ${generations}\n`)) throw new Error("log bench: native git log lacks the trailers");
    native.push(c.ms);
  }
  // In a fresh process: this one holds what building the repositories left on its heap.
  const probe = JSON.parse(run(process.execPath, [PROBE, dir, String(repeats)], dir)) as { command: number[]; firstParentLog: number[]; generations: number };
  if (probe.generations !== generations) throw new Error(`log bench: the probe's log ends at generation ${probe.generations}`);
  ours.push(...probe.firstParentLog);
  command.push(...probe.command);
  const result = { generations, repeats, ours: timing(ours, native), cli: timing(cli, native), command: timing(command, native), coldMs: round(cold.ms), indexBytes };
  say(`  log of ${generations} generations: firstParentLog ${result.ours.oursMs} ms in process (cold, building the index: ${result.coldMs} ms), evolve log --json's path in process ${result.command.oursMs} ms, ${result.cli.oursMs} ms via the CLI; native ${result.ours.nativeMs} ms (ratios ${result.ours.ratio}, ${result.command.ratio}, ${result.cli.ratio})`);
  return result;
}

async function benchBisect(dir: string, generations: number, firstBad: number, repeats: number, say: (s: string) => void, baseline: Baseline | null): Promise<HistoryResult["bisect"]> {
  const expected = run("git", ["rev-parse", `gen-${firstBad}^{commit}`], dir).trim();
  const isGood = async (commit: string): Promise<Verdict> => {
    return (await readFileAt(dir, commit, "state.txt"))?.trim() === "good";
  };
  const ours: Array<{ ms: number; evaluations: number }> = [];
  const trusted: Array<{ ms: number; evaluations: number }> = [];
  const native: Array<{ ms: number; evaluations: number }> = [];
  const before: Array<{ ms: number; evaluations: number }> = [];
  for (let i = 0; i < repeats; i++) {
    if (baseline !== null) {
      const isGoodBefore = async (commit: string): Promise<Verdict> => (await baseline.readFileAt(dir, commit, "state.txt"))?.trim() === "good";
      const z = await timed(() => baseline.bisectRange(dir, { good: "gen-0", bad: "HEAD" }, isGoodBefore, { knownGood: true, knownBad: true }));
      if (z.value.firstBad !== expected) throw new Error(`bisect bench: the baseline found ${z.value.firstBad}, planted ${expected}`);
      before.push({ ms: z.ms, evaluations: z.value.evaluations });
    }
    const a = await timed(() => bisectRange(dir, { good: "gen-0", bad: "HEAD" }, isGood));
    if (a.value.firstBad !== expected) throw new Error(`bisect bench: ours found ${a.value.firstBad}, planted ${expected}`);
    ours.push({ ms: a.ms, evaluations: a.value.evaluations });
    const b = await timed(() => bisectRange(dir, { good: "gen-0", bad: "HEAD" }, isGood, { knownGood: true, knownBad: true }));
    if (b.value.firstBad !== expected) throw new Error(`bisect bench: ours (trusted ends) found ${b.value.firstBad}, planted ${expected}`);
    trusted.push({ ms: b.ms, evaluations: b.value.evaluations });
    const c = await timed(() => {
      run("git", ["bisect", "start", "--first-parent", "HEAD", "gen-0"], dir);
      try {
        return run("git", ["bisect", "run", "sh", "-c", "grep -q good state.txt"], dir);
      } finally {
        run("git", ["bisect", "reset"], dir);
      }
    });
    const found = /^([0-9a-f]{40}) is the first bad commit/m.exec(c.value)?.[1];
    if (found !== expected) throw new Error(`bisect bench: git bisect run found ${found ?? "nothing"}, planted ${expected}`);
    native.push({ ms: c.ms, evaluations: (c.value.match(/^running /gm) ?? []).length });
  }
  const pick = (xs: typeof ours) => ({ evaluations: median(xs.map((x) => x.evaluations)), ms: round(median(xs.map((x) => x.ms))) });
  const result = { generations, firstBad, repeats, ours: pick(ours), oursTrusted: pick(trusted), native: pick(native), baselineTrusted: before.length > 0 ? pick(before) : null, ratio: 0 };
  result.ratio = round(result.oursTrusted.ms / result.native.ms, 3);
  say(`  bisect over ${generations} generations (first bad gen-${firstBad}): ours ${result.ours.evaluations} evaluations ${result.ours.ms} ms (ends trusted: ${result.oursTrusted.evaluations}, ${result.oursTrusted.ms} ms); git bisect run ${result.native.evaluations} evaluations ${result.native.ms} ms${result.baselineTrusted === null ? "" : `; baseline build (ends trusted) ${result.baselineTrusted.ms} ms`}`);
  return result;
}

/** Run every history benchmark; temporary repositories are removed afterwards. */
export async function historyBench(options: HistoryOptions = {}): Promise<HistoryResult> {
  const started = performance.now();
  const say = options.say ?? (() => {});
  const quick = options.quick === true;
  const rng = createRng(options.seed ?? 7);
  const baseline = await loadBaseline(options.baseline ?? process.env["EVOLVE_BENCH_BASELINE"]);
  if (baseline !== null) say(`  baseline build: ${options.baseline ?? process.env["EVOLVE_BENCH_BASELINE"]}`);
  const commitTag = await benchCommitTag(quick ? 10 : 30, say, baseline);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "evolve-bench-history-"));
  try {
    const log: HistoryResult["log"] = [];
    let bisect: HistoryResult["bisect"] | undefined;
    for (const n of options.sizes ?? (quick ? [1_000, 10_000] : [1_000, 10_000, 100_000])) {
      const dir = path.join(tmp, `h${n}`);
      const firstBad = 1 + rng.int(n);
      const built = await timed(() => buildHistory(dir, n, firstBad));
      say(`  built ${n} generations (one pack, packed tags) in ${round(built.ms)} ms`);
      log.push(await benchLog(dir, n, n > 10_000 ? 1 : quick ? 2 : 3, say));
      if (n === 1_000) bisect = await benchBisect(dir, n, firstBad, quick ? 3 : 5, say, baseline);
      rmSync(dir, { recursive: true, force: true });
    }
    return { commitTag, log, bisect: bisect!, wallMs: round(performance.now() - started) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The result as a plain-text table. */
export function historyTable(r: HistoryResult): string {
  const rows: string[][] = [["history benchmark", "ours", "native git", "ours / native"]];
  rows.push([`commit + tag, per generation (${r.commitTag.samples})`, `${r.commitTag.oursMs} ms`, `${r.commitTag.nativeMs} ms`, String(r.commitTag.ratio)]);
  if (r.commitTag.baselineMs !== null) rows.push(["commit + tag, baseline build", `${r.commitTag.baselineMs} ms`, "", ""]);
  for (const l of r.log) {
    rows.push([`log ${l.generations} generations, evolve log --json's path in process`, `${l.command.oursMs} ms`, `${l.command.nativeMs} ms`, String(l.command.ratio)]);
    rows.push([`log ${l.generations} generations, firstParentLog in process`, `${l.ours.oursMs} ms`, `${l.ours.nativeMs} ms`, String(l.ours.ratio)]);
    rows.push([`log ${l.generations} generations, in process, no index yet`, `${l.coldMs} ms`, "", ""]);
    rows.push([`log ${l.generations} generations, evolve log --json`, `${l.cli.oursMs} ms`, `${l.cli.nativeMs} ms`, String(l.cli.ratio)]);
  }
  const b = r.bisect;
  rows.push([`bisect ${b.generations} generations, ends trusted`, `${b.oursTrusted.ms} ms, ${b.oursTrusted.evaluations} evals`, `${b.native.ms} ms, ${b.native.evaluations} evals`, String(b.ratio)]);
  rows.push([`bisect ${b.generations} generations, ends verified`, `${b.ours.ms} ms, ${b.ours.evaluations} evals`, "", ""]);
  if (b.baselineTrusted !== null) rows.push([`bisect ${b.generations} generations, ends trusted, baseline build`, `${b.baselineTrusted.ms} ms, ${b.baselineTrusted.evaluations} evals`, "", ""]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

function parseArgs(argv: readonly string[]): { json: boolean; quick: boolean } {
  for (const a of argv) if (a !== "--json" && a !== "--quick") throw new Error(`bench/history: unknown argument ${a}; expected --json, --quick`);
  return { json: argv.includes("--json"), quick: argv.includes("--quick") };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const say = (s: string) => (args.json ? process.stderr : process.stdout).write(`${s}\n`);
  say(`history bench${args.quick ? " (quick)" : ""}: node ${process.version}, ${run("git", ["--version"], os.tmpdir()).trim()}, ${os.cpus().length} cores`);
  const result = await historyBench({ quick: args.quick, say });
  say("");
  say(historyTable(result));
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
