import { types } from "node:util";
import vm from "node:vm";
import { DRIVER_SOURCE, MAX_OUTPUT_CHARS } from "./driver.js";
import type { FailureKind, WorkerCall, WorkerCaseResult } from "./protocol.js";

// Compiled once per process; a Script can run in any number of contexts.
const driverScript = new vm.Script(DRIVER_SOURCE, { filename: "evolve-driver.js" });
const loadScript = new vm.Script("__evolve.load()", { filename: "evolve-load.js" });
const startScript = new vm.Script("__evolve.start()", { filename: "evolve-start.js" });
const stepScript = new vm.Script("__evolve.step()", { filename: "evolve-step.js" });

/**
 * Compile a bundle for running in task contexts. The bundle is wrapped in a loader function so its
 * top-level code runs inside the driver's try/catch (a thrown value never reaches the host).
 * Throws a host SyntaxError if the code does not parse.
 */
export function compileCandidate(code: string): vm.Script {
  return new vm.Script(`globalThis.__evolveLoad = function () {\n${code}\n};`, {
    filename: "candidate.js",
    lineOffset: -1,
  });
}

// Thrown by the host loop itself; compared by identity (instanceof could run a Proxy trap).
const budgetSpent = new Error("case budget spent");

type Exec = (script: vm.Script, deadline: number) => unknown;

/**
 * Run calls against a compiled bundle. The calls share one vm context (the tool modules load once,
 * module state persists from call to call as it would in a live agent); after a call that leaves
 * the context unusable (timeout, escaped driver) the rest continue in a fresh one. Each call gets
 * its own `timeoutMs` of wall time; loading the modules gets `loadTimeoutMs`.
 */
export function runCalls(candidate: vm.Script, calls: WorkerCall[], loadTimeoutMs: number, coverage: boolean): WorkerCaseResult[] {
  const results: WorkerCaseResult[] = [];
  while (results.length < calls.length) {
    const rest = calls.slice(results.length);
    const loadStarted = performance.now();
    const opened = openContext(candidate, rest, loadStarted + loadTimeoutMs);
    if (opened.kind !== "loaded") {
      // Loading is the same for every call: a failure there is every remaining call's failure.
      const ms = performance.now() - loadStarted;
      const error = opened.kind === "timeout" ? `loading the tool modules exceeded the ${loadTimeoutMs} ms budget` : opened.error;
      const covered = coverage ? opened.covered : undefined;
      for (const c of rest) results.push({ id: c.id, status: opened.kind, error, ms, ...(covered ? { covered } : {}) });
      break;
    }
    for (const call of rest) {
      const r = runOne(opened.exec, call, coverage);
      results.push(r.result);
      if (!r.usable) break;
    }
  }
  return results;
}

type Opened =
  | { kind: "loaded"; exec: Exec }
  | { kind: "throw" | "timeout" | "crash"; error: string; covered?: number[] };

function openContext(candidate: vm.Script, calls: WorkerCall[], deadline: number): Opened {
  // Only primitives go in: an object from this realm would hand the candidate our Function.
  const sandbox = Object.create(null) as Record<string, string>;
  sandbox["__evolveCalls"] = JSON.stringify(calls.map((c) => [c.tool, c.argsJson]));
  const context = vm.createContext(sandbox, {
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: "afterEvaluate",
  });
  const exec: Exec = (script, until) => {
    const left = until - performance.now();
    if (left <= 0) throw budgetSpent;
    return script.runInContext(context, { timeout: Math.max(1, Math.ceil(left)), displayErrors: false });
  };
  try {
    exec(driverScript, deadline);
    exec(candidate, deadline);
    const state = readState(exec(loadScript, deadline));
    if (state === undefined) return { kind: "crash", error: "the sandbox driver returned malformed state" };
    if (state.s === "loaded") return { kind: "loaded", exec };
    return { kind: "throw", error: state.e ?? "loading failed", covered: state.c };
  } catch (e) {
    const failure = hostFailure(e, deadline);
    return { kind: failure.kind, error: failure.error };
  }
}

function runOne(exec: Exec, call: WorkerCall, coverage: boolean): { result: WorkerCaseResult; usable: boolean } {
  const timeoutMs = call.timeoutMs;
  const started = performance.now();
  const deadline = started + timeoutMs;
  const done = (status: WorkerCaseResult["status"], extra: Partial<WorkerCaseResult>, usable = true) => ({
    result: { id: call.id, status, ...extra, ms: performance.now() - started },
    usable,
  });
  try {
    let state = readState(exec(startScript, deadline));
    while (state !== undefined && state.s === "pending") state = readState(exec(stepScript, deadline));
    if (state === undefined) return done("crash", { error: "the sandbox driver returned malformed state" }, false);
    if (state.s === "loaded") return done("crash", { error: "the sandbox driver returned an unexpected state" }, false);
    const covered = coverage && state.c !== undefined ? { covered: state.c } : {};
    if (state.s === "ok") return done("ok", { output: state.v, ...covered });
    if (state.s === "pending") return done("crash", { error: "unreachable: still pending" }, false);
    return done(state.s, { error: state.e, ...covered });
  } catch (e) {
    const failure = hostFailure(e, deadline);
    const error = failure.kind === "timeout" ? `exceeded the ${timeoutMs} ms case budget` : failure.error;
    return done(failure.kind, { error }, false);
  }
}

/** Classify an exception out of runInContext without touching candidate code. */
function hostFailure(e: unknown, deadline: number): { kind: "timeout" | "crash"; error: string } {
  // The vm timeout error is made in the context's realm, so it is recognised by its own data
  // property `code` (read without running getters or traps) or by the exhausted budget.
  if (e === budgetSpent || ownData(e, "code") === "ERR_SCRIPT_EXECUTION_TIMEOUT" || performance.now() >= deadline) {
    return { kind: "timeout", error: "budget exceeded" };
  }
  const message = ownData(e, "message");
  return { kind: "crash", error: `escaped the sandbox driver: ${typeof message === "string" ? message : "a non-error value"}` };
}

interface DriverState {
  s: "pending" | "loaded" | "ok" | Exclude<FailureKind, "timeout" | "memory" | "exit" | "crash">;
  v?: string;
  e?: string;
  c?: number[];
}

const finalStates = new Set(["pending", "loaded", "ok", "throw", "missing-tool", "never-settled", "stray-timers"]);

/** Parse what the driver returned; typeof never runs candidate code, so non-strings are safe to reject. */
function readState(raw: unknown): DriverState | undefined {
  // The driver caps outputs; a longer string means it was subverted.
  if (typeof raw !== "string" || raw.length > MAX_OUTPUT_CHARS + 100_000) return undefined;
  try {
    const o = JSON.parse(raw) as unknown;
    if (typeof o !== "object" || o === null) return undefined;
    const s = (o as { s?: unknown }).s;
    if (typeof s !== "string" || !finalStates.has(s)) return undefined;
    const st = o as DriverState;
    if (st.s === "ok" && typeof st.v !== "string") return undefined;
    if (st.c !== undefined && !(Array.isArray(st.c) && st.c.every((n) => typeof n === "number"))) return undefined;
    return { s: st.s, v: st.v, e: typeof st.e === "string" ? st.e : String(st.e ?? ""), c: st.c };
  } catch {
    return undefined;
  }
}

/**
 * An own data property of a thrown value, or undefined. Never runs candidate code: no Proxy traps
 * (proxies are skipped) and no getters (only data descriptors are read).
 */
function ownData(e: unknown, key: string): unknown {
  if ((typeof e !== "object" && typeof e !== "function") || e === null || types.isProxy(e)) return undefined;
  const d = Object.getOwnPropertyDescriptor(e, key);
  return d !== undefined && "value" in d ? d.value : undefined;
}
