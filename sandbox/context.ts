import { randomBytes } from "node:crypto";
import { types } from "node:util";
import vm from "node:vm";
import { capText } from "../kernel/text.js";
import { driverSource, type DriverSlots } from "./driver.js";
import { MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS } from "./limits.js";
import type { FailureKind, WorkerCall, WorkerCaseResult } from "./protocol.js";

// Drawn once per worker process and never visible to candidate code (the driver deletes them from
// the global before the candidate runs), so a candidate cannot name its way into the driver.
const secret = randomBytes(12).toString("hex");
const slots: DriverSlots = { entry: `__e${secret}`, request: `__r${secret}`, loader: `__l${secret}` };
// Compiled once per process; a Script can run in any number of contexts.
const driverScript = new vm.Script(driverSource(slots), { filename: "evolve-driver.js" });
const callScript = new vm.Script(`${slots.entry}()`, { filename: "evolve-call.js" });
let nonces = 0;

/**
 * Compile a bundle for running in task contexts. The bundle is wrapped in a loader function so its
 * top-level code runs inside the driver's try/catch (a thrown value never reaches the host); the
 * coverage hook and the tools' hand-over are the loader's parameters, not globals.
 * Throws a host SyntaxError if the code does not parse.
 */
export function compileCandidate(code: string): vm.Script {
  return new vm.Script(`(function (__evolveCov, __evolveExport) {\n${code}\n})`, {
    filename: "candidate.js",
    lineOffset: -1,
  });
}

// Thrown by the host loop itself; compared by identity (instanceof could run a Proxy trap).
const budgetSpent = new Error("case budget spent");
const slotsTaken = new Error("the candidate made the driver's slots on the global unusable");

/** Sends one request to the driver of one context, within a deadline. */
type Send = (request: string, deadline: number, loader?: unknown) => unknown;

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
    const opened = openContext(candidate, loadStarted + loadTimeoutMs);
    if (opened.kind !== "loaded") {
      // Loading is the same for every call: a failure there is every remaining call's failure.
      const ms = performance.now() - loadStarted;
      const error = opened.kind === "timeout" ? `loading the tool modules exceeded the ${loadTimeoutMs} ms budget` : opened.error;
      const covered = coverage ? opened.covered : undefined;
      for (const c of rest) results.push({ id: c.id, status: opened.kind, error, ms, ...(covered ? { covered } : {}) });
      break;
    }
    for (const call of rest) {
      const r = runOne(opened.send, call, coverage);
      results.push(r.result);
      if (!r.usable) break;
    }
  }
  return results;
}

type Opened =
  | { kind: "loaded"; send: Send }
  | { kind: "throw" | "timeout" | "crash"; error: string; covered?: number[] };

function openContext(candidate: vm.Script, deadline: number): Opened {
  // Only primitives and the context's own functions go in: an object from this realm would hand the
  // candidate our Function.
  const sandbox = Object.create(null) as Record<string, unknown>;
  const context = vm.createContext(sandbox, {
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: "afterEvaluate",
  });
  const run = (script: vm.Script, until: number): unknown => {
    const left = until - performance.now();
    if (left <= 0) throw budgetSpent;
    return script.runInContext(context, { timeout: Math.max(1, Math.ceil(left)), displayErrors: false });
  };
  try {
    const entry = run(driverScript, deadline);
    if (typeof entry !== "function") return { kind: "crash", error: "the sandbox driver did not start" };
    const send: Send = (request, until, loader) => {
      // Defining (not assigning) never calls a setter the candidate may have put there; a
      // non-configurable property it left in the way makes this throw, and the context is dropped.
      try {
        for (const [key, value] of [[slots.entry, entry], [slots.request, request], [slots.loader, loader]] as const) {
          Object.defineProperty(sandbox, key, { value, configurable: true, writable: false, enumerable: false });
        }
      } catch {
        throw slotsTaken;
      }
      return run(callScript, until);
    };
    // Evaluating the wrapped bundle only creates its loader function; no candidate code runs yet.
    const loader = run(candidate, deadline);
    const nonce = nextNonce();
    const state = readState(send(JSON.stringify(["load", nonce]), deadline, loader), nonce);
    if (state === undefined) return { kind: "crash", error: "the sandbox driver returned malformed state" };
    if (state.s === "loaded") return { kind: "loaded", send };
    return { kind: "throw", error: state.e ?? "loading failed", covered: state.c };
  } catch (e) {
    const failure = hostFailure(e, deadline);
    return { kind: failure.kind, error: failure.error };
  }
}

function nextNonce(): string {
  nonces++;
  return `${secret}-${nonces}`;
}

function runOne(send: Send, call: WorkerCall, coverage: boolean): { result: WorkerCaseResult; usable: boolean } {
  const timeoutMs = call.timeoutMs;
  const started = performance.now();
  const deadline = started + timeoutMs;
  const done = (status: WorkerCaseResult["status"], extra: Partial<WorkerCaseResult>, usable = true) => ({
    result: { id: call.id, status, ...extra, ms: performance.now() - started },
    usable,
  });
  const nonce = nextNonce();
  const step = JSON.stringify(["step", nonce]);
  try {
    let state = readState(send(JSON.stringify(["start", nonce, call.tool, call.argsJson]), deadline), nonce);
    while (state !== undefined && state.s === "pending") state = readState(send(step, deadline), nonce);
    if (state === undefined) return done("crash", { error: "the sandbox driver returned malformed state" }, false);
    if (state.s === "loaded" || state.s === "bad-request") return done("crash", { error: `the sandbox driver refused the call: ${state.e ?? state.s}` }, false);
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
  if (e === slotsTaken) return { kind: "crash", error: slotsTaken.message };
  // The vm timeout error is made in the context's realm, so it is recognised by its own data
  // property `code` (read without running getters or traps) or by the exhausted budget.
  if (e === budgetSpent || ownData(e, "code") === "ERR_SCRIPT_EXECUTION_TIMEOUT" || performance.now() >= deadline) {
    return { kind: "timeout", error: "budget exceeded" };
  }
  const message = ownData(e, "message");
  const text = typeof message === "string" ? capText(message, MAX_MESSAGE_CHARS) : "a non-error value";
  return { kind: "crash", error: `escaped the sandbox driver: ${text}` };
}

type DriverStatus = "pending" | "loaded" | "bad-request" | "ok" | Exclude<FailureKind, "timeout" | "memory" | "exit" | "crash">;

interface DriverState {
  s: DriverStatus;
  /** The encoded output of an "ok" state. */
  v?: string;
  e?: string;
  c?: number[];
}

const states = new Set<string>(["pending", "loaded", "bad-request", "ok", "throw", "missing-tool", "never-settled", "stray-timers"]);
// Header: state, nonce, clock, coverage ids and a cut error message; far below this.
const MAX_HEADER_CHARS = 2_000_000;

/**
 * Parse a driver reply, or undefined if it is malformed or answers another call than `nonce`.
 * typeof never runs candidate code, so non-strings are safe to reject.
 */
function readState(raw: unknown, nonce: string): DriverState | undefined {
  if (typeof raw !== "string") return undefined;
  const split = raw.indexOf("\n");
  const head = split < 0 ? raw : raw.slice(0, split);
  if (head.length > MAX_HEADER_CHARS) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(head);
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null) return undefined;
  const st = o as { s?: unknown; n?: unknown; e?: unknown; c?: unknown };
  if (typeof st.s !== "string" || !states.has(st.s) || st.n !== nonce) return undefined;
  if (st.c !== undefined && !(Array.isArray(st.c) && st.c.every((n) => typeof n === "number"))) return undefined;
  const state: DriverState = { s: st.s as DriverStatus, c: st.c as number[] | undefined };
  if (st.e !== undefined) state.e = capText(String(st.e), MAX_MESSAGE_CHARS);
  if (st.s === "ok") {
    if (split < 0) return undefined;
    // The driver stops encoding past the limit; a longer output means it was subverted.
    if (raw.length - split - 1 > MAX_OUTPUT_CHARS) return undefined;
    state.v = raw.slice(split + 1);
  }
  return state;
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
