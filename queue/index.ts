/**
 * Where a run's candidates are evaluated: in the local pool (sandbox/pool.ts), or, given a Redis
 * URL, on `evolve worker` processes through the queue. Both are a `Sandbox`; callers pick with
 * one call and never look at which one they got.
 */
import { createSandbox } from "../sandbox/pool.js";
import type { Sandbox } from "../sandbox/pool.js";
import { createRemoteSandbox } from "./remote-sandbox.js";

export { createRemoteSandbox } from "./remote-sandbox.js";
export type { RemoteSandboxOptions } from "./remote-sandbox.js";
export { startQueueWorker } from "./worker.js";
export type { QueueWorker, QueueWorkerOptions } from "./worker.js";
export { parseRedisUrl, redactRedisUrl, PASSWORD_ENV } from "./redis-url.js";
export { engineVersion } from "./job.js";

export interface SandboxChoice {
  /** Redis URL: evaluate on queue workers. Absent: the local pool. */
  redis?: string | undefined;
  /** The golden suite's hash, which every job carries. */
  suiteHash: string;
  workers: number;
  timeoutMs: number;
  memoryMb: number;
  /** Where the remote sandbox says it is waiting (default: standard error). */
  onNotice?: (line: string) => void;
}

export function openSandbox(o: SandboxChoice): Sandbox {
  const limits = { timeoutMs: o.timeoutMs, memoryMb: o.memoryMb };
  if (o.redis === undefined) return createSandbox({ workers: o.workers, ...limits });
  const onNotice = o.onNotice ?? ((line: string) => void process.stderr.write(`evolve: ${line}\n`));
  return createRemoteSandbox({ redis: o.redis, suiteHash: o.suiteHash, ...limits, onNotice });
}
