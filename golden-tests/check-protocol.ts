/**
 * Messages between the host and the check thread (./check-worker.ts), which runs the parts of
 * judging that execute user code or user patterns on a candidate's output: `regex`, `json-schema`
 * (its `pattern` keywords are regular expressions too) and `javascript` assertions.
 */
import type { AssertionVerdict, CustomAssertionContext } from "./custom-assertions.js";

export type CheckJob =
  | { kind: "regex"; pattern: string; flags: string; input: string }
  | { kind: "schema"; schema: unknown; value: unknown }
  | { kind: "custom"; file: string; source: string; output: unknown; ctx: CustomAssertionContext; timeoutMs: number };

/** Jobs are sent in batches; the thread answers each, in order. */
export interface CheckBatch {
  jobs: Array<CheckJob & { id: number }>;
}

export type CheckAnswer =
  | { id: number; kind: "regex"; match: boolean }
  | { id: number; kind: "schema"; valid: boolean; errors: string }
  | { id: number; kind: "custom"; verdict: AssertionVerdict }
  /** The job itself failed (a bad pattern, a schema ajv refuses). */
  | { id: number; kind: "error"; message: string };

/** The thread's first message: its modules are loaded, so deadlines can start. */
export interface CheckReady {
  ready: true;
}
