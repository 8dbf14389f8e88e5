import { packageRoot } from "../kernel/package-root.js";
import type { ChildProcess } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import Tinypool from "tinypool";
import { decodeOutput } from "./codec.js";
import { isStartMessage, type FailureKind, type WorkerCall, type WorkerCaseResult, type WorkerTask } from "./protocol.js";

export type { FailureKind } from "./protocol.js";

/** Limits of a sandbox. */
export interface SandboxOptions {
  /** Worker processes, default 2 (this machine has 2 cores). */
  workers?: number;
  /** Per case wall time in ms, default 1000. Virtual timers do not consume it. */
  timeoutMs?: number;
  /** Per worker heap limit in MB, default 128. */
  memoryMb?: number;
}

/** One golden-test call: the tool id and its arguments (JSON data). */
export interface CaseCall {
  id: string;
  tool: string;
  args: unknown[];
  /** Wall-time budget of this case in ms; default the sandbox's `timeoutMs`. */
  timeoutMs?: number;
}

/**
 * What a call did. `output` is decoded per ./codec.ts (undefined, NaN, bigint, Map, ... survive).
 * `covered` (sorted coverage ids hit during the case) is present when coverage was asked for and
 * the case got as far as reporting it.
 */
export type CaseOutcome =
  | { id: string; ok: true; output: unknown; ms: number; covered?: number[] }
  | { id: string; ok: false; kind: FailureKind; error: string; ms: number; covered?: number[] };

/** A pool of hardened worker processes that runs candidates' tools. */
export interface Sandbox {
  /** Run every call against the bundle `code` (from buildBundle); outcomes come back in call order. */
  run(code: string, calls: CaseCall[], options?: { coverage?: boolean }): Promise<CaseOutcome[]>;
  destroy(): Promise<void>;
}

/** Where the compiled worker lives: <package root>/dist/sandbox/worker.js. */
export function workerFile(): string {
  return join(packageRoot(), "dist", "sandbox", "worker.js");
}

/** Paths the worker process may read: our compiled sandbox folder, the text helpers it uses and tinypool's dist. */
export function workerReadPaths(): string[] {
  const root = realpathSync(packageRoot());
  const tinypoolDist = realpathSync(dirname(createRequire(import.meta.url).resolve("tinypool")));
  return [
    join(root, "dist", "sandbox", "*"),
    join(root, "dist", "kernel", "text.js"),
    join(tinypoolDist, "*"),
    // Module type lookups (is a .js file ESM?) read the package.json files above them.
    join(root, "package.json"),
    join(dirname(tinypoolDist), "package.json"),
  ];
}

/**
 * Node flags of a worker process: permission model with reads limited to `readPaths` (no writes,
 * child processes, workers or addons), no code generation from strings, and a heap limit.
 */
export function workerExecArgv(readPaths: string[], memoryMb: number): string[] {
  const permission = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";
  return [
    permission,
    ...readPaths.map((p) => `--allow-fs-read=${p}`),
    "--disallow-code-generation-from-strings",
    `--max-old-space-size=${memoryMb}`,
    "--no-warnings",
  ];
}

interface Death {
  kind: Extract<FailureKind, "timeout" | "memory" | "exit" | "crash">;
  error: string;
  ms: number;
  /** No worker ever began the task: running its cases again would not tell them apart. */
  unstarted?: boolean;
}
type TaskResult = { ok: true; results: WorkerCaseResult[] } | { ok: false; death: Death };

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}
interface ChildWatch {
  closed: Promise<ExitInfo>;
}

/** How long a worker may take to pick a task up (it may be starting after a crash). */
const BOOT_MS = 20_000;
/** Watchdog slack per task and per case on top of the case budgets. */
const WATCHDOG_SLACK_MS = 2_000;
const WATCHDOG_PER_CASE_MS = 50;
/** How long to wait for a dead worker's exit status and last stderr. */
const EXIT_WAIT_MS = 3_000;
const STDERR_TAIL = 8_192;

/** Start a sandbox: `workers` child processes, each ready to run candidates. */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const workers = options.workers ?? 2;
  const timeoutMs = options.timeoutMs ?? 1000;
  const memoryMb = options.memoryMb ?? 128;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`sandbox: workers must be a positive integer, got ${workers}`);
  if (!(timeoutMs > 0)) throw new Error(`sandbox: timeoutMs must be positive, got ${timeoutMs}`);
  if (!(memoryMb >= 16)) throw new Error(`sandbox: memoryMb must be at least 16, got ${memoryMb}`);
  const file = workerFile();
  if (!existsSync(file)) throw new Error(`sandbox: worker not built, expected ${file} (run \`npm run build\`)`);

  const pool = new Tinypool({
    filename: pathToFileURL(file).href,
    runtime: "child_process",
    minThreads: workers,
    maxThreads: workers,
    execArgv: workerExecArgv(workerReadPaths(), memoryMb),
    env: {},
    argv: [],
  });
  const state = { destroyed: false };
  const runTask = taskRunner(pool, workers, memoryMb, state);
  return {
    async run(code, calls, runOptions = {}) {
      if (state.destroyed) throw new Error("sandbox: run() after destroy()");
      if (calls.length === 0) return [];
      const workerCalls = calls.map((c) => toWorkerCall(c, timeoutMs));
      const coverage = runOptions.coverage === true;
      const whole = await runTask({ code, calls: workerCalls, loadTimeoutMs: timeoutMs, coverage });
      if (whole.ok) return whole.results.map(toOutcome);
      if (state.destroyed) return workerCalls.map((c) => deathOutcome(c, { ...whole.death, kind: "crash", error: "the sandbox was destroyed during the run" }));
      if (workerCalls.length === 1 || whole.death.unstarted === true) return workerCalls.map((c) => deathOutcome(c, whole.death));
      // The worker died mid-task: run each call alone so the death lands on the case that caused it.
      return Promise.all(
        workerCalls.map(async (c) => {
          const r = await runTask({ code, calls: [c], loadTimeoutMs: timeoutMs, coverage });
          const res = r.ok ? r.results[0] : undefined;
          if (r.ok && res !== undefined) return toOutcome(res);
          return deathOutcome(c, r.ok ? { kind: "crash", error: "the worker returned no result", ms: 0 } : r.death);
        }),
      );
    },
    async destroy() {
      if (state.destroyed) return;
      state.destroyed = true;
      await pool.destroy();
    },
  };
}

/** Tasks waiting for a worker, and whether any worker ever started one. */
interface BootWatch {
  waiting: Set<(why: string) => void>;
  everStarted: boolean;
}

function watchBoot(pool: Tinypool): BootWatch {
  // If workers die before any task ever started, the worker cannot boot (bad build, bad flags) and
  // waiting longer helps nobody.
  const boot: BootWatch = { waiting: new Set(), everStarted: false };
  // A worker dying outside a task is reported here; tasks in flight get their own rejection.
  pool.on("error", (err: unknown) => {
    if (boot.everStarted) return;
    for (const fail of boot.waiting) fail(`the worker failed to start: ${messageOf(err)}`);
  });
  return boot;
}

function childOf(pool: Tinypool, pid: number): ChildProcess | undefined {
  // tinypool 2.2's ProcessWorker keeps its ChildProcess in `process`; threadId is the pid.
  const worker = pool.threads.find((w) => w.threadId === pid) as unknown as { process?: ChildProcess } | undefined;
  return worker?.process;
}

const watches = new WeakMap<ChildProcess, ChildWatch>();

function watch(child: ChildProcess): ChildWatch {
  const known = watches.get(child);
  if (known !== undefined) return known;
  let tail = "";
  // Keep the worker's output off our terminal; the tail explains a death.
  child.stdout?.unpipe(process.stdout);
  child.stderr?.unpipe(process.stderr);
  child.stdout?.on("data", () => {});
  child.stderr?.on("data", (d: Buffer) => {
    tail = (tail + d.toString("utf8")).slice(-STDERR_TAIL);
  });
  const closed = new Promise<ExitInfo>((resolve) => {
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal, stderr: tail }));
  });
  const w = { closed };
  watches.set(child, w);
  return w;
}

/** Runs one task on the pool, at most `workers` at a time, with a boot timeout and a watchdog. */
function taskRunner(pool: Tinypool, workers: number, memoryMb: number, state: { destroyed: boolean }): (task: WorkerTask) => Promise<TaskResult> {
  const boot = watchBoot(pool);
  const slots = semaphore(workers);
  return async function runTask(task) {
    await slots.acquire();
    if (state.destroyed) {
      slots.release();
      return { ok: false, death: { kind: "crash", error: "the sandbox was destroyed", ms: 0, unstarted: true } };
    }
    const controller = new AbortController();
    let startedAt: number | undefined;
    let child: ChildProcess | undefined;
    let watchdogFired = false;
    let watchdog: NodeJS.Timeout | undefined;
    const budget = task.calls.reduce((sum, c) => sum + c.timeoutMs + WATCHDOG_PER_CASE_MS, task.loadTimeoutMs + WATCHDOG_SLACK_MS);
    let bootFailure: string | undefined;
    const failBoot = (why: string) => {
      bootFailure = why;
      controller.abort();
    };
    const bootTimer = setTimeout(() => failBoot(`no worker picked the task up within ${BOOT_MS} ms`), BOOT_MS);
    boot.waiting.add(failBoot);
    const channel = {
      postMessage(message: unknown) {
        if (!isStartMessage(message) || startedAt !== undefined) return;
        clearTimeout(bootTimer);
        boot.waiting.delete(failBoot);
        boot.everStarted = true;
        startedAt = performance.now();
        child = childOf(pool, message.pid);
        if (child !== undefined) watch(child);
        watchdog = setTimeout(() => {
          watchdogFired = true;
          controller.abort();
        }, budget);
      },
    };
    try {
      const out = (await pool.run(task, { signal: controller.signal, channel })) as { results: WorkerCaseResult[] };
      return { ok: true, results: out.results };
    } catch (err) {
      const ms = startedAt === undefined ? 0 : performance.now() - startedAt;
      if (watchdogFired) {
        return { ok: false, death: { kind: "timeout", error: `the task exceeded its ${budget} ms watchdog; worker terminated`, ms } };
      }
      if (startedAt === undefined) {
        return { ok: false, death: { kind: "crash", error: bootFailure ?? `no worker started the task: ${messageOf(err)}`, ms, unstarted: true } };
      }
      const dead = child !== undefined && (child.exitCode !== null || child.signalCode !== null);
      if (!dead || child === undefined) return { ok: false, death: { kind: "crash", error: `worker error: ${messageOf(err)}`, ms } };
      const info = await within(watch(child).closed, EXIT_WAIT_MS);
      return { ok: false, death: classifyDeath(info ?? { code: child.exitCode, signal: child.signalCode, stderr: "" }, memoryMb, ms) };
    } finally {
      boot.waiting.delete(failBoot);
      clearTimeout(bootTimer);
      clearTimeout(watchdog);
      slots.release();
    }
  };
}

function toWorkerCall(c: CaseCall, defaultTimeoutMs: number): WorkerCall {
  if (!Array.isArray(c.args)) throw new Error(`sandbox: case ${c.id}: args must be an array`);
  const timeoutMs = c.timeoutMs ?? defaultTimeoutMs;
  if (!(timeoutMs > 0)) throw new Error(`sandbox: case ${c.id}: timeoutMs must be positive, got ${timeoutMs}`);
  let argsJson: string;
  try {
    argsJson = JSON.stringify(c.args);
  } catch (e) {
    throw new Error(`sandbox: case ${c.id}: args are not JSON data (${messageOf(e)})`);
  }
  return { id: c.id, tool: c.tool, argsJson, timeoutMs };
}

function toOutcome(r: WorkerCaseResult): CaseOutcome {
  const extra = r.covered !== undefined ? { covered: r.covered } : {};
  if (r.status === "ok") {
    try {
      return { id: r.id, ok: true, output: decodeOutput(r.output ?? ""), ms: r.ms, ...extra };
    } catch (e) {
      return { id: r.id, ok: false, kind: "crash", error: `undecodable output: ${messageOf(e)}`, ms: r.ms, ...extra };
    }
  }
  return { id: r.id, ok: false, kind: r.status, error: r.error ?? r.status, ms: r.ms, ...extra };
}

function deathOutcome(c: WorkerCall, d: Death): CaseOutcome {
  return { id: c.id, ok: false, kind: d.kind, error: d.error, ms: d.ms };
}

/** Name the cause of a worker's death from its exit status and last stderr. */
export function classifyDeath(info: ExitInfo, memoryMb: number, ms: number): Death {
  if (/heap out of memory|Reached heap limit|allocation failed/i.test(info.stderr)) {
    return { kind: "memory", error: `exceeded the ${memoryMb} MB heap limit; worker died`, ms };
  }
  if (info.signal !== null) return { kind: "crash", error: `the worker was killed by ${info.signal}`, ms };
  return { kind: "exit", error: `the worker exited with code ${info.code ?? "unknown"}`, ms };
}

function messageOf(e: unknown): string {
  if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
    return (e as { message: string }).message;
  }
  return String(e);
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function semaphore(size: number): { acquire(): Promise<void>; release(): void } {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    acquire() {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next !== undefined) next();
      else free++;
    },
  };
}
