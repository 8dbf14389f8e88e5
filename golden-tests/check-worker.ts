/**
 * The check thread: runs regular expressions, JSON schemas and custom assertions on outputs, one
 * job at a time in the order sent. The host (./check-thread.ts) gives every job a deadline and
 * terminates this thread when one is missed, so nothing here can hang the host.
 */
import { parentPort } from "node:worker_threads";
import { runCustomAssertion } from "./custom-module.js";
// Loaded before the thread says it is ready: loading time must not count against a check's deadline.
import { compileUserSchema, schemaErrors } from "./json-schema.js";
import type { CheckAnswer, CheckBatch, CheckJob, CheckReady } from "./check-protocol.js";

const regexes = new Map<string, RegExp>();
const MAX_CACHED_REGEXES = 256;

function regex(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let re = regexes.get(key);
  if (re === undefined) {
    re = new RegExp(pattern, flags);
    if (regexes.size >= MAX_CACHED_REGEXES) regexes.clear();
    regexes.set(key, re);
  }
  // A g or y flag would make test() start where the last call left off.
  re.lastIndex = 0;
  return re;
}

async function answer(job: CheckJob & { id: number }): Promise<CheckAnswer> {
  try {
    switch (job.kind) {
      case "regex":
        return { id: job.id, kind: "regex", match: regex(job.pattern, job.flags).test(job.input) };
      case "schema": {
        const validate = compileUserSchema(job.schema);
        const valid = validate(job.value);
        return { id: job.id, kind: "schema", valid, errors: valid ? "" : schemaErrors(validate) };
      }
      case "custom":
        return { id: job.id, kind: "custom", verdict: await runCustomAssertion(job.file, job.source, job.output, job.ctx, job.timeoutMs) };
    }
  } catch (e) {
    return { id: job.id, kind: "error", message: e instanceof Error ? e.message : String(e) };
  }
}

let queue = Promise.resolve();
parentPort!.on("message", (batch: CheckBatch) => {
  for (const job of batch.jobs) {
    queue = queue.then(async () => {
      const reply = await answer(job);
      try {
        parentPort!.postMessage(reply);
      } catch (e) {
        // A custom assertion's verdict is plain data made by interpretVerdict; anything else is a bug here.
        parentPort!.postMessage({ id: job.id, kind: "error", message: `the answer cannot be sent: ${e instanceof Error ? e.message : String(e)}` } satisfies CheckAnswer);
      }
    });
  }
});

parentPort!.postMessage({ ready: true } satisfies CheckReady);
