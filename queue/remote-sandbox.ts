/**
 * A sandbox whose workers are `evolve worker` processes on other machines: the same `Sandbox`
 * interface as the local pool (sandbox/pool.ts), so a run swaps one for the other in one line.
 * Each `run` is one BullMQ job; its outcomes come back through QueueEvents, decoded as a local run
 * decodes them. Every job settles exactly once, by id: a copy finished by a worker that lost its
 * lock, or an event seen twice, changes nothing.
 *
 * Faults it handles without a person watching:
 * - Redis restarts: jobs wait; once Redis answers again, every unsettled job is added again under
 *   its own id (a no-op if Redis kept it, a fresh copy if it lost it). Unreachable for longer than
 *   `redisDownMs`: every waiting run fails with a `queue` error naming the (redacted) address.
 * - No worker connected while jobs wait: after `noWorkerMs` the runs fail saying so.
 * - A lost event: a slow poll of each unsettled job's state finds what the event stream missed.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { EvolveError } from "../kernel/errors.js";
import type { CaseCall, CaseOutcome, Sandbox } from "../sandbox/pool.js";
import { engineVersion, fromWire, QUEUE_NAME } from "./job.js";
import type { EvalJob } from "./job.js";
import { parseRedisUrl, redactRedisUrl } from "./redis-url.js";

export interface RemoteSandboxOptions {
  /** redis:// or rediss:// URL; its password never appears in a message. */
  redis: string;
  /** Hash of the golden suite the calls come from (workers pinned to another one refuse the jobs). */
  suiteHash: string;
  /** Per case wall time in ms, default 1000, as the local pool. */
  timeoutMs?: number;
  /** Per worker heap limit in MB, default 128, as the local pool. */
  memoryMb?: number;
  /** How long jobs may wait with no worker connected before the run stops, ms (default 20 s). */
  noWorkerMs?: number;
  /** How long Redis may be unreachable before the run stops, ms (default 60 s). */
  redisDownMs?: number;
  /** Told once per episode when the run starts waiting (for Redis, for a worker) and when it resumes. */
  onNotice?: (line: string) => void;
}

interface Pending {
  job: EvalJob;
  calls: CaseCall[];
  addedAt: number;
  settle: (outcomes: CaseOutcome[] | EvolveError) => void;
}

/** How often the health of Redis, the worker count and unsettled jobs are checked. */
const TICK_MS = 500;
/** A job unsettled this long has its state polled, in case its event was lost. */
const POLL_AFTER_MS = 2_000;
/** Longest a round of checks may wait on Redis before it is abandoned. */
const CHECK_MS = 5_000;
/** Jobs kept after completion, so a coordinator that missed the event can still read the result. */
const KEEP = { removeOnComplete: { age: 600, count: 5_000 }, removeOnFail: { age: 3_600, count: 5_000 } };

/** Everything one remote sandbox holds: its connections, its unsettled jobs, its view of their health. */
interface Link {
  queue: Queue;
  events: QueueEvents;
  /** Its own connection tells whether Redis answers, whatever BullMQ's connections are doing. */
  probe: Redis;
  where: string;
  engine: string;
  pending: Map<string, Pending>;
  noWorkerMs: number;
  redisDownMs: number;
  notice: (line: string) => void;
  db: number;
  health: { downSince: number | null; noWorkerSince: number | null; wasDown: boolean; busy: boolean };
}

export function createRemoteSandbox(options: RemoteSandboxOptions): Sandbox {
  const link = connect(options);
  const limits = { timeoutMs: options.timeoutMs ?? 1000, memoryMb: options.memoryMb ?? 128 };
  const prefix = `${hostname().replace(/[^A-Za-z0-9_.-]/g, "_")}-${process.pid}-${randomBytes(4).toString("hex")}`;
  let seq = 0;
  let destroyed = false;
  const timer = setInterval(() => tick(link), TICK_MS);
  timer.unref();
  return {
    run(code, calls, runOptions = {}) {
      if (destroyed) return Promise.reject(new Error("remote sandbox: run() after destroy()"));
      if (calls.length === 0) return Promise.resolve([]);
      const job: EvalJob = {
        engine: link.engine,
        suiteHash: options.suiteHash,
        code,
        calls: calls.map((c) => ({ id: c.id, tool: c.tool, args: c.args, timeoutMs: c.timeoutMs ?? limits.timeoutMs })),
        coverage: runOptions.coverage === true,
        limits,
      };
      return submit(link, `${prefix}-${++seq}`, job, calls);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      clearInterval(timer);
      for (const p of [...link.pending.values()]) p.settle(p.calls.map((c) => ({ id: c.id, ok: false as const, kind: "crash" as const, error: "the sandbox was destroyed during the run", ms: 0 })));
      // close() waits for Redis; with Redis gone it would hold the process open, so it gets a deadline.
      const deadline = link.probe.status === "ready" ? CHECK_MS : 500;
      await within(Promise.allSettled([link.events.close(), link.queue.close()]), deadline);
      await within(Promise.allSettled([link.events.disconnect(), link.queue.disconnect()]), deadline);
      link.probe.disconnect();
    },
  };
}

function connect(options: RemoteSandboxOptions): Link {
  const connection = parseRedisUrl(options.redis);
  const link: Link = {
    queue: new Queue(QUEUE_NAME, { connection }),
    events: new QueueEvents(QUEUE_NAME, { connection }),
    probe: new Redis({ ...connection }),
    where: redactRedisUrl(options.redis),
    engine: engineVersion(),
    pending: new Map(),
    noWorkerMs: options.noWorkerMs ?? 20_000,
    redisDownMs: options.redisDownMs ?? 60_000,
    notice: options.onNotice ?? (() => {}),
    db: connection.db,
    health: { downSince: null, noWorkerSince: null, wasDown: false, busy: false },
  };
  // Connection errors are expected while Redis restarts; the tick decides when to give up.
  link.queue.on("error", () => {});
  link.events.on("error", () => {});
  link.probe.on("error", () => {});
  link.events.on("completed", ({ jobId, returnvalue }) => finish(link, jobId, parsed(returnvalue)));
  link.events.on("failed", ({ jobId, failedReason }) => failed(link, jobId, failedReason));
  return link;
}

function submit(link: Link, id: string, job: EvalJob, calls: CaseCall[]): Promise<CaseOutcome[]> {
  return new Promise<CaseOutcome[]>((resolve, reject) => {
    const settle = (r: CaseOutcome[] | EvolveError) => {
      // Exactly once: a second event, a poll or a late copy of the job finds nothing to settle.
      if (!link.pending.delete(id)) return;
      if (r instanceof EvolveError) reject(r);
      else resolve(r);
    };
    link.pending.set(id, { job, calls, addedAt: performance.now(), settle });
    // Offline (Redis down) the add waits in ioredis's queue; the tick gives up on it past the limit.
    add(link, id, job).catch(() => {});
  });
}

function add(link: Link, id: string, job: EvalJob): Promise<unknown> {
  return link.queue.add("eval", job, { jobId: id, attempts: 1, ...KEEP });
}

function finish(link: Link, id: string, result: unknown): void {
  const p = link.pending.get(id);
  if (p === undefined) return;
  const engineOf = (result as { engine?: unknown } | null)?.engine;
  if (engineOf !== link.engine) {
    p.settle(new EvolveError("queue", `a worker on engine ${String(engineOf)} answered a job of engine ${link.engine}`, { redis: link.where, reason: "refused" }));
    return;
  }
  p.settle(fromWire(result, p.calls));
}

function failed(link: Link, id: string, reason: string): void {
  link.pending.get(id)?.settle(new EvolveError("queue", `the evaluation job failed on a worker: ${reason}`, { redis: link.where, reason: "failed", job: id }));
}

function failAll(link: Link, reason: string, message: string): void {
  const err = new EvolveError("queue", message, { redis: link.where, reason });
  for (const p of [...link.pending.values()]) p.settle(err);
}

function tick(link: Link): void {
  const { health, pending } = link;
  const now = performance.now();
  // Judged from the probe's state, never from a command: commands wait while Redis is away.
  if (link.probe.status !== "ready") {
    health.downSince ??= now;
    if (!health.wasDown && pending.size > 0) link.notice(`Redis at ${link.where} is unreachable; waiting up to ${seconds(link.redisDownMs)} s for it`);
    health.wasDown = true;
    if (now - health.downSince > link.redisDownMs) {
      failAll(link, "redis-down", `Redis at ${link.where} has been unreachable for ${seconds(now - health.downSince)} s; stopping (is redis-server running, and is the address right?)`);
    }
    return;
  }
  health.downSince = null;
  if (health.busy) return;
  health.busy = true;
  // A check cut off by a dropping connection is abandoned after CHECK_MS; the next tick starts afresh.
  void within(checks(link, now), CHECK_MS)
    .catch(() => {})
    .finally(() => (health.busy = false));
}

async function checks(link: Link, now: number): Promise<void> {
  const { health, pending } = link;
  if (health.wasDown) {
    health.wasDown = false;
    // Redis may have restarted empty: every unsettled job goes in again under its own id.
    for (const [id, p] of pending) await add(link, id, p.job);
    if (pending.size > 0) link.notice(`Redis at ${link.where} is back; ${pending.size} job(s) resubmitted`);
  }
  if (pending.size === 0) {
    health.noWorkerSince = null;
    return;
  }
  await checkWorkers(link, now);
  await pollStates(link, now);
}

async function checkWorkers(link: Link, now: number): Promise<void> {
  const { health } = link;
  // CLIENT LIST is server-wide: count only the workers on this run's database.
  const workers = (await link.queue.getWorkers()).filter((w) => w.db === String(link.db));
  if (workers.length > 0) {
    if (health.noWorkerSince !== null) link.notice(`a worker connected to ${link.where}; evaluating`);
    health.noWorkerSince = null;
    return;
  }
  if (health.noWorkerSince === null) {
    health.noWorkerSince = now;
    link.notice(`no evolve worker is connected to ${link.where}; waiting up to ${seconds(link.noWorkerMs)} s for one`);
  }
  if (now - health.noWorkerSince > link.noWorkerMs) {
    failAll(link, "no-worker", `no evolve worker is connected to ${link.where} (waited ${seconds(link.noWorkerMs)} s); start one with \`evolve worker --redis URL\``);
  }
}

/** Finds what the event stream missed (events lost in a reconnect, jobs lost in a Redis restart). */
async function pollStates(link: Link, now: number): Promise<void> {
  for (const [id, p] of [...link.pending]) {
    if (now - p.addedAt < POLL_AFTER_MS) continue;
    const state = await link.queue.getJobState(id);
    if (state === "completed") finish(link, id, (await link.queue.getJob(id))?.returnvalue);
    else if (state === "failed") failed(link, id, (await link.queue.getJob(id))?.failedReason ?? "unknown reason");
    else if (state === "unknown") await add(link, id, p.job);
  }
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

function parsed(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}
