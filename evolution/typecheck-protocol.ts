/** Messages between the main thread and the type-check thread. */
import type { CheckResult } from "./typecheck.js";

type Changes = ReadonlyArray<readonly [path: string, text: string | null]>;

export type CheckerRequest =
  | { id: number; type: "init"; files: Array<[string, string]> }
  | { id: number; type: "rebase"; changes: Changes }
  | { id: number; type: "check"; changes: Changes };

export type CheckerReply =
  | { id: number; type: "ok" }
  | { id: number; type: "checked"; result: CheckResult }
  | { id: number; type: "error"; message: string };
