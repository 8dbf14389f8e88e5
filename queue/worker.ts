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

/** Pools by limits: jobs of one run share one; a run with other limits gets its own. */
const MAX_POOLS = 2;

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const connection = parseRedisUrl(options.redis);
  const where = redactRedisUrl(options.redis);
  const concurrency = options.concurrency ?? 2;
  const lockMs = options.lockMs ?? 10_000;
  const log = options.onLog ?? (() => {});
  const engine = engineVersion();
  const id = `${hostname()}:${process.pid}`;
  const pools = new Map<string, Sandbox>();
  const poolFor = (limits: EvalJob["limits"]): Sandbox => {
    const key = `${limits.timeoutMs}:${limits.memoryMb}`;
    let pool = pools.get(key);
    if (pool === undefined) {
      if (pools.size >= MAX_POOLS) {
        const [oldest, old] = pools.entries().next().value as [string, Sandbox];
        pools.delete(oldest);
        void old.destroy();
      }
      pool = createSandbox({ workers: concurrency, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb });
      pools.set(key, pool);
    }
    return pool;
  };

  const process_ = async (job: Job): Promise<EvalResult> => {
    const problem = jobProblem(job.data);
    if (problem !== null) throw new UnrecoverableError(`worker ${id} refused job ${job.id}: ${problem}`);
    const data = job.data as EvalJob;
    if (data.engine !== engine) {
      throw new UnrecoverableError(`worker ${id} refused job ${job.id}: it runs engine ${engine} and the job comes from engine ${data.engine}; run the same evolve build on the coordinator and every worker`);
    }
    if (options.suiteHash !== undefined && data.suiteHash !== options.suiteHash) {
      throw new UnrecoverableError(`worker ${id} refused job ${job.id}: it is pinned to suite ${options.suiteHash} and the job's suite is ${data.suiteHash}`);
    }
    const outcomes = await poolFor(data.limits).run(data.code, data.calls, { coverage: data.coverage });
    return { engine, worker: id, outcomes: toWire(outcomes) };
  };

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
      await Promise.all([...pools.values()].map((p) => p.destroy()));
      pools.clear();
    },
  };
}
