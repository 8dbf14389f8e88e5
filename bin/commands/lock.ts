/**
 * Commands that write hold the workspace lock (ledger/workspace-lock.ts) for their whole run. A
 * second writer is refused with one line naming the holder (exit 2), or with `--wait [seconds]`
 * waits for it, up to a bound.
 */
import { EvolveError, isEvolveError, reworded } from "../../kernel/errors.js";
import { withWorkspaceLock, type LockHolder } from "../../ledger/index.js";
import { findWorkspaceRoot } from "../../workspace/open.js";
import { fail, output } from "../output.js";

/** Seconds `--wait` without a value waits before giving up. */
export const DEFAULT_WAIT_SECONDS = 600;

/** The flags every writing command takes. `wait`: commander gives true for a bare `--wait`, else its text. */
export interface LockFlags {
  workspace?: string;
  wait?: boolean | string;
}

/** Milliseconds to wait for the lock: 0 without --wait, DEFAULT_WAIT_SECONDS for a bare --wait. */
export function waitMs(flag: boolean | string | undefined): number {
  if (flag === undefined || flag === false) return 0;
  if (flag === true) return DEFAULT_WAIT_SECONDS * 1000;
  const seconds = Number(flag);
  if (flag.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new EvolveError("usage", `--wait ${JSON.stringify(flag)}: expected a number of seconds > 0`, { flag: "--wait", value: flag });
  }
  return Math.round(seconds * 1000);
}

/**
 * Run `body` (a command that reports its own errors) holding the lock of the workspace that
 * `--workspace` or the current directory names. Without a workspace there is nothing to lock: the
 * body refuses, or (`evolve run`) makes a fresh workspace no one else knows about.
 */
export async function lockedCommand(command: string, flags: LockFlags, body: () => Promise<void>): Promise<void> {
  let wait: number;
  try {
    wait = waitMs(flags.wait);
  } catch (e) {
    fail(e);
    return;
  }
  const root = findWorkspaceRoot(flags.workspace ?? process.cwd());
  if (root === null) return body();
  const onWait = (h: LockHolder): void => {
    output(false).warn(`waiting for the workspace lock: ${h.command} (pid ${h.pid}, since ${h.since}) is writing to ${root}; giving up after ${Math.round(wait / 1000)} s`);
  };
  try {
    await withWorkspaceLock(root, { command, waitMs: wait, onWait }, body);
  } catch (e) {
    fail(isEvolveError(e, "lock-held") && wait === 0 ? reworded(e, `${e.message}; wait for it to finish, or pass --wait to queue behind it`) : e);
  }
}
