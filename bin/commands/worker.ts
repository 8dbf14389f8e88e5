/**
 * `evolve worker --redis URL`: evaluate candidates for coordinators (`evolve run --redis URL`) on
 * this machine until stopped. Runs no workspace and touches no repository; SIGINT / SIGTERM let
 * running jobs finish, then exit 0.
 */
import { startQueueWorker } from "../../queue/index.js";
import { fail } from "../output.js";

export interface WorkerFlags {
  redis: string;
  concurrency?: number;
  suite?: string;
  lockMs?: number;
}

export async function workerCommand(flags: WorkerFlags): Promise<void> {
  try {
    const worker = await startQueueWorker({
      redis: flags.redis,
      concurrency: flags.concurrency ?? 2,
      ...(flags.suite !== undefined ? { suiteHash: flags.suite } : {}),
      ...(flags.lockMs !== undefined ? { lockMs: flags.lockMs } : {}),
      onLog: (line) => process.stderr.write(`${line}\n`),
    });
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.stderr.write(`worker ${worker.id}: stopping after the running jobs\n`);
        resolve();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await worker.close();
  } catch (e) {
    fail(e);
  }
}
