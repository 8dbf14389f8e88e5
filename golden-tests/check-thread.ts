/**
 * The host's side of the check thread (./check-worker.ts). Regular expressions, JSON schemas and
 * custom assertions run there, each under a deadline: `^(a+)+b$` on a 34-character output ran for
 * 158 s in the host; now the thread is terminated when the deadline passes, that one check fails
 * with the reason, and the checks queued behind it go on in a fresh thread.
 *
 * One thread per process, started on first use and not keeping the process alive while idle.
 * Jobs asked for in the same tick travel in one message.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { packageRoot } from "../kernel/package-root.js";
import type { CheckAnswer, CheckBatch, CheckJob, CheckReady } from "./check-protocol.js";

/** How long one regex or json-schema check may run on one output, ms. */
export const CHECK_TIME_LIMIT_MS = 1000;
/** Heap of the check thread: enough for an output at the sandbox's size limit many times over. */
const THREAD_HEAP_MB = 256;
/** How long a new thread may take to load its modules; deadlines of checks start after that. */
const BOOT_MS = 30_000;

/** A check's answer, or why there is none (it missed its deadline, or the thread died under it). */
export type CheckResult = { ok: true; answer: CheckAnswer } | { ok: false; reason: string };

interface Job {
  job: CheckJob & { id: number };
  limitMs: number;
  resolve: (r: CheckResult) => void;
}

interface Thread {
  worker: Worker;
  /** Sent and not answered yet, in the order the thread works through them. */
  inFlight: Job[];
  timer: NodeJS.Timeout | undefined;
  /** The thread has loaded its modules (it says so with its first message). */
  ready: boolean;
}

let thread: Thread | null = null;
let unsent: Job[] = [];
let flushScheduled = false;
let nextId = 0;

/** Run `job` in the check thread; it fails (never hangs) after `limitMs` of running. */
export function runCheck(job: CheckJob, limitMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    unsent.push({ job: { ...job, id: nextId++ }, limitMs, resolve });
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  });
}

function workerFile(): string {
  const file = path.join(packageRoot(), "dist", "golden-tests", "check-worker.js");
  if (!existsSync(file)) throw new Error(`check thread not built, expected ${file} (run \`npm run build\`)`);
  return file;
}

function start(): Thread {
  const worker = new Worker(workerFile(), { resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
  const t: Thread = { worker, inFlight: [], timer: undefined, ready: false };
  worker.on("message", (answer: CheckAnswer | CheckReady) => {
    if ("ready" in answer) {
      t.ready = true;
      arm(t);
      return;
    }
    const at = t.inFlight.findIndex((j) => j.job.id === answer.id);
    if (at < 0) return;
    const [done] = t.inFlight.splice(at, 1);
    done!.resolve({ ok: true, answer });
    arm(t);
  });
  const died = (why: string) => {
    if (thread !== t) return;
    abandon(t, why);
  };
  worker.on("error", (e) => died(`the check thread failed: ${e.message}`));
  worker.on("exit", (code) => died(`the check thread exited with code ${code}`));
  return t;
}

function flush(): void {
  flushScheduled = false;
  if (unsent.length === 0) return;
  const jobs = unsent;
  unsent = [];
  let t: Thread;
  try {
    thread ??= start();
    t = thread;
  } catch (e) {
    for (const j of jobs) j.resolve({ ok: false, reason: (e as Error).message });
    return;
  }
  const batch: CheckBatch = { jobs: jobs.map((j) => j.job) };
  try {
    t.worker.postMessage(batch);
    t.inFlight.push(...jobs);
  } catch {
    // One value that cannot be copied to the thread spoils the batch: send the jobs one by one.
    for (const j of jobs) {
      try {
        t.worker.postMessage({ jobs: [j.job] } satisfies CheckBatch);
        t.inFlight.push(j);
      } catch (e) {
        j.resolve({ ok: false, reason: `the value cannot be passed to the check: ${(e as Error).message}` });
      }
    }
  }
  arm(t);
}

// The deadline runs for the job the thread is working on: the oldest unanswered one.
function arm(t: Thread): void {
  clearTimeout(t.timer);
  t.timer = undefined;
  const head = t.inFlight[0];
  if (head === undefined) {
    t.worker.unref();
    return;
  }
  t.worker.ref();
  if (!t.ready) {
    t.timer = setTimeout(() => abandon(t, `could not run: the check thread did not start within ${BOOT_MS} ms`), BOOT_MS);
    return;
  }
  t.timer = setTimeout(() => abandon(t, `did not finish within ${head.limitMs} ms`), head.limitMs);
}

/** The job at the head failed (`why`); end this thread and hand the rest to a fresh one. */
function abandon(t: Thread, why: string): void {
  clearTimeout(t.timer);
  if (thread === t) thread = null;
  t.worker.removeAllListeners("message");
  t.worker.removeAllListeners("exit");
  t.worker.on("error", () => {});
  void t.worker.terminate();
  const [head, ...rest] = t.inFlight;
  t.inFlight = [];
  head?.resolve({ ok: false, reason: why });
  if (rest.length > 0) {
    unsent = [...rest, ...unsent];
    flush();
  }
}
