/**
 * An asynchronous type checker running in a worker thread (see typecheck-worker.ts), with the same
 * semantics as createTypeChecker: a candidate is checked in its changed files and their importers.
 */
import { Worker } from "node:worker_threads";
import path from "node:path";
import { existsSync } from "node:fs";
import type { FileMap } from "../kernel/files.js";
import { changedPaths } from "../kernel/files.js";
import { packageRoot } from "../kernel/package-root.js";
import type { CheckResult } from "./typecheck.js";
import type { CheckerReply, CheckerRequest } from "./typecheck-protocol.js";

export interface ThreadedTypeChecker {
  /** Type-check `candidate` against the current base (only its `changed` paths are sent). */
  check(candidate: FileMap, changed: readonly string[]): Promise<CheckResult>;
  /** Make `next` the base; only what differs from the current base crosses the thread boundary. */
  rebase(next: FileMap): Promise<void>;
  close(): Promise<void>;
}

export async function startTypeCheckThread(base: FileMap): Promise<ThreadedTypeChecker> {
  // Like the sandbox worker, the thread runs compiled JS, found from the package root so that the
  // same code works from dist/ and from the .ts sources under vitest.
  const file = path.join(packageRoot(), "dist", "evolution", "typecheck-worker.js");
  if (!existsSync(file)) throw new Error(`type-check thread not built, expected ${file} (run \`npm run build\`)`);
  const worker = new Worker(file);
  worker.unref();
  const waiting = new Map<number, { resolve: (r: CheckerReply) => void; reject: (e: Error) => void }>();
  let failure: Error | null = null;
  const failAll = (e: Error) => {
    failure = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on("message", (reply: CheckerReply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.type === "error") w?.reject(new Error(`type-check thread: ${reply.message}`));
    else w?.resolve(reply);
  });
  worker.on("error", (e) => failAll(e));
  worker.on("exit", (code) => failAll(new Error(`type-check thread exited with code ${code}`)));
  let next = 0;
  type Unsent = CheckerRequest extends infer R ? (R extends CheckerRequest ? Omit<R, "id"> : never) : never;
  const send = (req: Unsent): Promise<CheckerReply> => {
    if (failure !== null) return Promise.reject(failure);
    const id = next++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...req, id } as CheckerRequest);
    });
  };
  let current = base;
  await send({ type: "init", files: [...base] });
  return {
    async check(candidate, changed) {
      const reply = await send({ type: "check", changes: changed.map((p) => [p, candidate.get(p) ?? null] as const) });
      if (reply.type !== "checked") throw new Error("type-check thread: unexpected reply");
      return reply.result;
    },
    async rebase(nextBase) {
      const changes = changedPaths(current, nextBase).map((p) => [p, nextBase.get(p) ?? null] as const);
      current = nextBase;
      if (changes.length > 0) await send({ type: "rebase", changes });
    },
    async close() {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}
