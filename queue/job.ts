/**
 * What travels on the queue: an evaluation job (one candidate's built bundle, its calls, its
 * limits) and its result (the outcomes, outputs encoded as in ./wire.ts). Both sides validate what
 * they read: Redis is shared, and a result comes from a candidate's run. No secret, path or git
 * object of the coordinator is in a job; a worker needs nothing but the job to run it.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../kernel/package-root.js";
import type { CaseCall, CaseOutcome, FailureKind } from "../sandbox/pool.js";
import { MAX_MESSAGE_CHARS } from "../sandbox/limits.js";
import { decodeWireOutput, encodeOutput } from "./wire.js";

/** Name of the BullMQ queue evaluation jobs go through (one per Redis database). */
export const QUEUE_NAME = "evolve-eval";

/** Largest bundle a job may carry, characters (textkit's is about 10 KB). */
export const MAX_BUNDLE_CHARS = 8_000_000;
/** Most calls in one job. */
export const MAX_CALLS = 10_000;

/** One candidate to evaluate. */
export interface EvalJob {
  /** The coordinator's engine version (see engineVersion): a worker on another refuses the job. */
  engine: string;
  /** Hash of the golden suite the calls come from; a worker pinned to another suite refuses the job. */
  suiteHash: string;
  /** The bundle from sandbox/build.ts. */
  code: string;
  /** Every call with its own time budget. */
  calls: Array<Required<CaseCall>>;
  coverage: boolean;
  /** The coordinator's sandbox limits, applied by the worker exactly as a local pool applies them. */
  limits: { timeoutMs: number; memoryMb: number };
}

/** A case outcome on the wire: `output` is encoded text. */
export type WireOutcome =
  | { id: string; ok: true; output: string; ms: number; covered?: number[] }
  | { id: string; ok: false; kind: FailureKind; error: string; ms: number; covered?: number[] };

export interface EvalResult {
  engine: string;
  /** Which worker ran it (host:pid), for messages. */
  worker: string;
  outcomes: WireOutcome[];
}

const FAILURE_KINDS: ReadonlySet<string> = new Set(["throw", "timeout", "memory", "exit", "stray-timers", "never-settled", "crash", "missing-tool"]);

let engine: string | null = null;

/**
 * evolve's version, Node's major version and a hash of the compiled sandbox: two installs that
 * could run a candidate differently never share work. Computed once per process.
 */
export function engineVersion(): string {
  if (engine !== null) return engine;
  const root = packageRoot();
  const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  const hash = createHash("sha256");
  for (const dir of ["sandbox", "queue"]) {
    const full = join(root, "dist", dir);
    let names: string[] = [];
    try {
      names = readdirSync(full).filter((n) => n.endsWith(".js")).sort();
    } catch {
      // Not built (vitest from the sources): the version alone.
    }
    for (const n of names) hash.update(`${dir}/${n}\0`).update(readFileSync(join(full, n))).update("\0");
  }
  // Node's major version too: its V8 can format or order some outputs differently.
  engine = `${version}+node${process.versions.node.split(".")[0]}+${hash.digest("hex").slice(0, 12)}`;
  return engine;
}

/** Why `data` (read from Redis) is not a job this worker can run, or null when it is one. */
export function jobProblem(data: unknown): string | null {
  if (typeof data !== "object" || data === null) return "the job is not an object";
  const j = data as Record<string, unknown>;
  if (typeof j.engine !== "string" || typeof j.suiteHash !== "string") return "the job has no engine or suite hash";
  if (typeof j.code !== "string" || j.code.length > MAX_BUNDLE_CHARS) return `the job's bundle is missing or over ${MAX_BUNDLE_CHARS} characters`;
  if (typeof j.coverage !== "boolean") return "the job's coverage flag is not a boolean";
  const limits = j.limits as Record<string, unknown> | null;
  if (typeof limits !== "object" || limits === null || !positive(limits.timeoutMs) || !(typeof limits.memoryMb === "number" && Number.isInteger(limits.memoryMb) && limits.memoryMb >= 16)) {
    return "the job's limits are not a positive timeoutMs and a memoryMb of at least 16";
  }
  if (!Array.isArray(j.calls) || j.calls.length > MAX_CALLS) return `the job's calls are not a list of at most ${MAX_CALLS}`;
  for (const c of j.calls as unknown[]) {
    const call = c as Record<string, unknown> | null;
    if (typeof call !== "object" || call === null || typeof call.id !== "string" || typeof call.tool !== "string" || !Array.isArray(call.args) || !positive(call.timeoutMs)) {
      return "a call of the job is not { id, tool, args, timeoutMs }";
    }
  }
  return null;
}

/** Outcomes as a worker sends them. */
export function toWire(outcomes: readonly CaseOutcome[]): WireOutcome[] {
  return outcomes.map((o) => {
    const extra = o.covered !== undefined ? { covered: o.covered } : {};
    if (!o.ok) return { id: o.id, ok: false, kind: o.kind, error: o.error, ms: o.ms, ...extra };
    try {
      return { id: o.id, ok: true, output: encodeOutput(o.output), ms: o.ms, ...extra };
    } catch (e) {
      return { id: o.id, ok: false, kind: "crash", error: `unencodable output: ${e instanceof Error ? e.message : String(e)}`, ms: o.ms, ...extra };
    }
  });
}

/**
 * A worker's result as the coordinator uses it: one outcome per call, in call order, each checked
 * and decoded. Anything malformed becomes a `crash` outcome of that case (the local pool's word for
 * "the sandbox did not report properly"), never an exception that could stop the run.
 */
export function fromWire(result: unknown, calls: readonly CaseCall[]): CaseOutcome[] {
  const outcomes = (result as { outcomes?: unknown } | null)?.outcomes;
  const list = Array.isArray(outcomes) && outcomes.length === calls.length ? (outcomes as unknown[]) : null;
  return calls.map((call, i) => {
    const o = list?.[i] as Record<string, unknown> | undefined;
    const bad = (why: string): CaseOutcome => ({ id: call.id, ok: false, kind: "crash", error: `the worker's result was malformed: ${why}`, ms: 0 });
    if (list === null) return bad(`expected ${calls.length} outcomes`);
    if (typeof o !== "object" || o === null || o.id !== call.id || typeof o.ms !== "number") return bad(`outcome ${i} is not case ${call.id}`);
    const covered = Array.isArray(o.covered) && o.covered.every((n) => Number.isInteger(n)) ? { covered: o.covered as number[] } : {};
    if (o.ok === true && typeof o.output === "string") {
      try {
        return { id: call.id, ok: true, output: decodeWireOutput(o.output), ms: o.ms, ...covered };
      } catch (e) {
        return bad(e instanceof Error ? e.message : String(e));
      }
    }
    if (o.ok === false && typeof o.kind === "string" && FAILURE_KINDS.has(o.kind) && typeof o.error === "string") {
      return { id: call.id, ok: false, kind: o.kind as FailureKind, error: o.error.slice(0, MAX_MESSAGE_CHARS * 2), ms: o.ms, ...covered };
    }
    return bad(`outcome ${i} has no output or failure`);
  });
}

function positive(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}
