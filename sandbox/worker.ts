/**
 * The tinypool worker (loaded as dist/sandbox/worker.js in a child process started with the
 * permission model, see ./pool.ts). One task = one candidate: its bundle is compiled once (cached by
 * hash) and its calls run in one vm context (a fresh one after a call that spoils it).
 */
import { createHash } from "node:crypto";
import type vm from "node:vm";
import { compileCandidate, runCalls } from "./context.js";
import { hardenProcess } from "./harden.js";
import type { StartMessage, WorkerCaseResult, WorkerTask } from "./protocol.js";

hardenProcess();
// A candidate's unhandled rejection must not take the worker down; never inspect the reason (it is
// a candidate value and may run code when touched).
process.on("unhandledRejection", () => {});

const scripts = new Map<string, vm.Script>();
const MAX_SCRIPTS = 8;

function compiled(code: string): vm.Script {
  const key = createHash("sha1").update(code).digest("hex");
  const hit = scripts.get(key);
  if (hit !== undefined) {
    scripts.delete(key);
    scripts.set(key, hit);
    return hit;
  }
  const script = compileCandidate(code);
  scripts.set(key, script);
  if (scripts.size > MAX_SCRIPTS) scripts.delete(scripts.keys().next().value as string);
  return script;
}

/** Run every call of the task; the host decodes outputs. */
export default function runTask(task: WorkerTask): { results: WorkerCaseResult[] } {
  const start: StartMessage = { evolveSandbox: "start", pid: process.pid };
  process.send?.(start);
  let script: vm.Script;
  try {
    script = compiled(task.code);
  } catch (e) {
    const why = `the bundle does not compile: ${e instanceof Error ? e.message : String(e)}`;
    return { results: task.calls.map((c) => ({ id: c.id, status: "crash", error: why, ms: 0 })) };
  }
  return { results: runCalls(script, task.calls, task.loadTimeoutMs, task.coverage) };
}
