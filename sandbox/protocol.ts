/** Messages between the host pool (./pool.ts) and the sandbox worker (./worker.ts). */

/** Why a case failed. */
export type FailureKind =
  | "throw"
  | "timeout"
  | "memory"
  | "exit"
  | "stray-timers"
  | "never-settled"
  | "crash"
  | "missing-tool";

/** One call as the worker receives it: arguments already serialised to a JSON array. */
export interface WorkerCall {
  id: string;
  tool: string;
  argsJson: string;
  /** Wall-time budget of this call in ms. */
  timeoutMs: number;
}

/** One task = one candidate's bundle and its calls. */
export interface WorkerTask {
  code: string;
  calls: WorkerCall[];
  /** Budget for loading the tool modules (their top-level code), ms. */
  loadTimeoutMs: number;
  coverage: boolean;
}

/** A case as the worker reports it; `output` is still encoded (see ./codec.ts). */
export interface WorkerCaseResult {
  id: string;
  status: "ok" | FailureKind;
  output?: string;
  error?: string;
  ms: number;
  covered?: number[];
}

/** Sent by the worker over IPC when it starts a task, so the host can arm its watchdog. */
export interface StartMessage {
  evolveSandbox: "start";
  pid: number;
}

export function isStartMessage(m: unknown): m is StartMessage {
  return typeof m === "object" && m !== null && (m as { evolveSandbox?: unknown }).evolveSandbox === "start";
}
