/**
 * `evolve worker`: takes evaluation jobs off the queue and runs them in a local sandbox pool, with
 * the limits each job carries, exactly as the coordinator's own pool would. It reads nothing but
 * the job: no workspace, no repository, no credentials beyond the Redis address it was given.
 *
 * A job from another engine version, or (with `suiteHash`) from another golden suite, is refused
 * with its reason; the refusal is final (BullMQ's UnrecoverableError), so the coordinator stops
 * with that reason instead of waiting. A worker killed mid-job stops renewing its lock: after
 * `lockMs` another worker's stalled check puts the job back, and it runs again elsewhere.
 */
import { hostname } from "node:os";
import { UnrecoverableError, Worker } from "bullmq";
import type { Job } from "bullmq";
import { createSandbox } from "../sandbox/pool.js";
import type { Sandbox } from "../sandbox/pool.js";
import { engineVersion, jobProblem, QUEUE_NAME, toWire } from "./job.js";
import type { EvalJob, EvalResult } from "./job.js";
import { parseRedisUrl, redactRedisUrl } from "./redis-url.js";

export interface QueueWorkerOptions {
  redis: string;
  /** Jobs run at once, and sandbox processes per pool (default 2). */
  concurrency?: number;
  /** Refuse jobs whose suite hash differs (default: accept any suite). */
  suiteHash?: string;
  /**
   * How long a job's lock lasts without renewal, ms (default 10 s): a killed worker's job is put
   * back for another worker between one and two lock periods after the kill.
   */
  lockMs?: number;
  /** One line per noteworthy thing: ready, a refusal, a connection problem. */
  onLog?: (line: string) => void;
}

export interface QueueWorker {
  /** host:pid, as results name it. */
  readonly id: string;
  readonly engine: string;
  /** Stop taking jobs, let running ones finish, shut the sandbox pools down. */
  close(): Promise<void>;
}

/** Pools kept by limits: jobs of one run share one; a run with other limits gets its own. */
const MAX_POOLS = 2;

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const connection = parseRedisUrl(options.redis);
  const where = redactRedisUrl(options.redis);
  const concurrency = options.concurrency ?? 2;
  const lockMs = options.lockMs ?? 10_000;
  const log = options.onLog ?? (() => {});
  const engine = engineVersion();
  const id = `${hostname()}:${process.pid}`;
  const pools = new Map<string, PoolEntry>();
  const poolFor = (limits: EvalJob["limits"]): PoolEntry => {
    const key = `${limits.timeoutMs}:${limits.memoryMb}`;
    let entry = pools.get(key);
    if (entry === undefined) {
      // Only an idle pool is shut down for a new one: a job running on it would turn into crashes.
      const idle = [...pools].find(([, e]) => e.busy === 0);
      if (pools.size >= MAX_POOLS && idle !== undefined) {
        pools.delete(idle[0]);
        void idle[1].pool.destroy();
      }
      entry = { pool: createSandbox({ workers: concurrency, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb }), busy: 0 };
      pools.set(key, entry);
    }
    return entry;
  };

  const process_ = processor({ id, engine, suiteHash: options.suiteHash, poolFor });

  const worker = new Worker(QUEUE_NAME, process_, {
    connection,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A job is put back after a worker dies at most twice; a third death fails it (and the run, saying so).
    maxStalledCount: 2,
    name: `evolve-worker-${id}`,
  });
  let lastError = "";
  worker.on("error", (e: Error) => {
    // ioredis reconnects by itself; say what is wrong once, not once per retry.
    const line = `worker ${id}: ${where}: ${e.message}`;
    if (line !== lastError) log(line);
    lastError = line;
  });
  worker.on("failed", (job, e) => {
    if (e instanceof UnrecoverableError) log(e.message);
    else if (job !== undefined) log(`worker ${id}: job ${job.id} failed: ${e.message}`);
  });
  worker.on("ready", () => {
    if (lastError !== "") log(`worker ${id}: connected to ${where} again`);
    lastError = "";
  });
  await worker.waitUntilReady();
  log(`worker ${id} ready on ${where}: engine ${engine}, concurrency ${concurrency}, lock ${lockMs} ms${options.suiteHash !== undefined ? `, suite ${options.suiteHash}` : ""}`);
  return {
    id,
    engine,
    async close() {
      await worker.close();
      await Promise.all([...pools.values()].map((e) => e.pool.destroy()));
      pools.clear();
    },
  };
}

type PoolEntry = { pool: Sandbox; busy: number };

/** The job handler: refuse what this worker must not run, run the rest on a pool with the job's limits. */
function processor(o: { id: string; engine: string; suiteHash: string | undefined; poolFor: (limits: EvalJob["limits"]) => PoolEntry }): (job: Job) => Promise<EvalResult> {
  const { id, engine } = o;
  return async (job) => {
    const problem = jobProblem(job.data);
    if (problem !== null) throw new UnrecoverableError(`worker ${id} refused job ${job.id}: ${problem}`);
    const data = job.data as EvalJob;
    if (data.engine !== engine) {
      throw new UnrecoverableError(`worker ${id} refused job ${job.id}: it runs engine ${engine} and the job comes from engine ${data.engine}; run the same evolve build on the coordinator and every worker`);
    }
    if (o.suiteHash !== undefined && data.suiteHash !== o.suiteHash) {
      throw new UnrecoverableError(`worker ${id} refused job ${job.id}: it is pinned to suite ${o.suiteHash} and the job's suite is ${data.suiteHash}`);
    }
    const entry = o.poolFor(data.limits);
    entry.busy += 1;
    try {
      const outcomes = await entry.pool.run(data.code, data.calls, { coverage: data.coverage });
      return { engine, worker: id, outcomes: toWire(outcomes) };
    } finally {
      entry.busy -= 1;
    }
  };
}
