/**
 * One hostile candidate: a tool module whose `attack` export is called by the first golden case of a
 * small suite, followed by honest sentinel cases the attack must not be able to disturb.
 */
import type { FailureKind } from "../../sandbox/protocol.js";

export type AttackCategory = "files" | "processes" | "network" | "environment" | "timers" | "judge" | "caches" | "resources" | "host";

/** How the attack case must end: its outcome kind, "ok", or refused before running ("build-refused"). */
export type Expected = "ok" | "build-refused" | FailureKind;

export interface Attack {
  name: string;
  category: AttackCategory;
  /** What the attack tries, one line. */
  tries: string;
  /** Source of agent/tools/attack.ts; it exports `attack`. */
  source: string;
  /**
   * Arguments of the attack call. The strings "$CANARY_DIR" (a directory nothing may be written to),
   * "$SECRET_FILE" (a file nothing may read) and "$PORT" (a local TCP port nothing may connect to)
   * are replaced by the harness.
   */
  args?: unknown[];
  /** Assertions of the attack case as a YAML flow sequence; default: equals "unreachable". */
  assert?: string;
  /** More files of the workspace (custom assertion modules under golden-tests/). */
  files?: Record<string, string>;
  /** Acceptable ends of the attack case. */
  expect: Expected[];
}

/** The way into the host that every constructor-chain attack starts with. */
export const ESCAPE = `const hostProcess = (): any => (globalThis as any).constructor.constructor("return process")();`;
