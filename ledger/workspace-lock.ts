/**
 * One writer per workspace. Every command that writes (run, tune, rollback, reset, tag, attempts
 * --prune, approve, and the cycles of a long-running watcher or server) holds `.git/evolve/lock`
 * while it works; a second writer is refused with the holder's name, or waits for it, up to a bound.
 *
 * A killed holder cannot leave the workspace stuck: the lock records the holder's pid, the start
 * time of that process and the boot it ran in, and a lock whose process is gone (or a zombie, or
 * whose pid now belongs to another process, or to an earlier boot) is stale and taken over. The lock
 * file appears whole or not at all (written aside, then hard-linked into place: `link` fails when
 * the name exists), and takeovers are serialised by a short-lived guard file, so two processes
 * finding the same stale lock cannot both win.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { promises as fsp, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { EvolveError, storageFault } from "../kernel/errors.js";
import { gitdirOf } from "./fs.js";

/** Who holds the lock, as written in the lock file. */
export interface LockHolder {
  readonly pid: number;
  /** The process's start time in clock ticks since boot (Linux /proc), null where unknown. */
  readonly startTime: string | null;
  /** The kernel's boot id, null where unknown: a pid from an earlier boot is never alive. */
  readonly bootId: string | null;
  readonly host: string;
  /** What it is doing, e.g. `evolve run`. */
  readonly command: string;
  /** ISO time the lock was taken. */
  readonly since: string;
}

/** The facts of a refusal (code `lock-held`). */
export interface LockHeldData extends LockHolder {
  readonly lockFile: string;
  /** How long this process waited before giving up (0 without waiting). */
  readonly waitedMs: number;
}

export interface LockOptions {
  /** What the holder is doing, shown to whoever finds the lock taken, e.g. `evolve run`. */
  readonly command: string;
  /** Wait up to this many milliseconds for a live holder to finish (default 0: refuse at once). */
  readonly waitMs?: number;
  /** Called once when this process starts waiting. */
  readonly onWait?: (holder: LockHolder) => void;
  /** How often to look again while waiting (default 200 ms). */
  readonly pollMs?: number;
}

/** The lock file, relative to the git directory. */
export const LOCK_PATH = "evolve/lock";

// A takeover guard lives for milliseconds; one this old was left by a process killed mid-takeover.
const GUARD_STALE_MS = 10_000;

// Lock files this async context already holds: a command that calls another locked operation in
// the same flow (run -> tune) goes on, while any other flow, in this process or another, waits.
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Run `fn` while holding the workspace lock of `root`; the lock is released when `fn` settles.
 * Refuses with EvolveError `lock-held` (data: LockHeldData) when a live process holds it and
 * `waitMs` is 0, or still holds it after `waitMs`.
 */
export async function withWorkspaceLock<T>(root: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const file = join(await gitdirOf(root), LOCK_PATH);
  const mine = held.getStore();
  if (mine?.has(file)) return fn();
  const lock = await acquireLock(file, options);
  try {
    return await held.run(new Set([...(mine ?? []), file]), fn);
  } finally {
    await lock.release();
  }
}

/** The current holder of `root`'s lock and whether its process is alive; null when unlocked. */
export async function readWorkspaceLock(root: string): Promise<{ holder: LockHolder; alive: boolean } | null> {
  const file = join(await gitdirOf(root), LOCK_PATH);
  const found = await readHolder(file);
  if (found === null) return null;
  return found.holder === null ? null : { holder: found.holder, alive: isAlive(found.holder) };
}

/** A held lock. */
interface HeldLock {
  release(): Promise<void>;
}

async function acquireLock(file: string, options: LockOptions): Promise<HeldLock> {
  const me = currentHolder(options.command);
  const text = `${JSON.stringify(me)}\n`;
  const started = Date.now();
  const waitMs = options.waitMs ?? 0;
  let waiting = false;
  await fsp.mkdir(join(file, ".."), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new EvolveError("storage", `${join(file, "..")}: cannot create the lock directory (${error.code ?? error.message})`, { path: join(file, "..") }, { cause: error });
  });
  for (;;) {
    if (await createWhole(file, text)) return { release: () => removeIf(file, text) };
    const found = await readHolder(file);
    if (found === null) continue; // released between our attempt and the read
    if (found.holder === null || !isAlive(found.holder)) {
      await takeOver(file, found.text);
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= waitMs) throw lockHeld(file, found.holder, waitMs > 0 ? waited : 0);
    if (!waiting) {
      waiting = true;
      options.onWait?.(found.holder);
    }
    await sleep(Math.min(options.pollMs ?? 200, waitMs - waited));
  }
}

function lockHeld(file: string, holder: LockHolder, waitedMs: number): EvolveError<LockHeldData> {
  const who = `${holder.command} (pid ${holder.pid}${holder.host === os.hostname() ? "" : ` on ${holder.host}`}, since ${holder.since})`;
  const message =
    waitedMs > 0
      ? `gave up after ${Math.round(waitedMs / 1000)} s waiting for the workspace lock: ${who} still holds ${file}`
      : `the workspace is locked: ${who} is writing to it (${file})`;
  return new EvolveError<LockHeldData>("lock-held", message, { ...holder, lockFile: file, waitedMs });
}

/** Create `file` holding `text` if it does not exist, atomically: readers never see it half written. */
async function createWhole(file: string, text: string): Promise<boolean> {
  const temp = `${file}-${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await fsp.writeFile(temp, text);
  } catch (error) {
    // A full disk fails the write after the file exists: it must not stay behind.
    await fsp.rm(temp, { force: true });
    throw storageFault(file, "create the lock", error);
  }
  try {
    await fsp.link(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOENT: a repair swept our temporary file away (see clearLeftovers); the caller tries again.
    if (code === "EEXIST" || code === "ENOENT") return false;
    throw new EvolveError("storage", `${file}: cannot create the lock (${code ?? String(error)})`, { path: file }, { cause: error });
  } finally {
    await fsp.rm(temp, { force: true });
  }
}

/** The lock file's text and holder (null when the text is not a lock evolve wrote: stale); null when there is no lock. */
async function readHolder(file: string): Promise<{ text: string; holder: LockHolder | null } | null> {
  const text = await fsp.readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  return text === null ? null : { text, holder: parseHolder(text) };
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isInteger(h.pid) || typeof h.host !== "string" || typeof h.command !== "string" || typeof h.since !== "string") return null;
    return { pid: h.pid!, startTime: h.startTime ?? null, bootId: h.bootId ?? null, host: h.host, command: h.command, since: h.since };
  } catch {
    return null;
  }
}

/**
 * Remove a stale lock whose text is `staleText`, under a guard so that of several processes that
 * found the same stale lock, one removes it and the others only retry.
 */
async function takeOver(file: string, staleText: string): Promise<void> {
  const guard = `${file}.takeover`;
  const guardText = `${JSON.stringify(currentHolder("takeover"))}\n`;
  if (!(await createWhole(guard, guardText))) {
    const age = await fsp.stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > GUARD_STALE_MS) await fsp.rm(guard, { force: true });
    else await sleep(20);
    return;
  }
  try {
    const now = await fsp.readFile(file, "utf8").catch(() => null);
    if (now === staleText) await fsp.rm(file, { force: true });
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

/** Release: remove the lock only if it is still ours. */
async function removeIf(file: string, text: string): Promise<void> {
  const now = await fsp.readFile(file, "utf8").catch(() => null);
  if (now === text) await fsp.rm(file, { force: true });
}

function currentHolder(command: string): LockHolder {
  return { pid: process.pid, startTime: processStartTime(process.pid), bootId: bootId(), host: os.hostname(), command, since: new Date().toISOString() };
}

/** Whether the holder's process still runs: same host, same boot, pid alive and not a zombie, same start time. */
export function isAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true; // another machine's process cannot be checked
  const boot = bootId();
  if (holder.bootId !== null && boot !== null && holder.bootId !== boot) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const stat = procStat(holder.pid);
  if (stat === null) return true; // no /proc: trust the pid
  if (stat.state === "Z" || stat.state === "X") return false;
  return holder.startTime === null || stat.startTime === holder.startTime;
}

/** Start time of process `pid` in clock ticks since boot, from /proc (null elsewhere). */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.startTime ?? null;
}

function procStat(pid: number): { state: string; startTime: string } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTime = fields[19]; // field 22 of stat(5), counting from 1 with pid and comm first
  return state === undefined || startTime === undefined ? null : { state, startTime };
}

let bootIdMemo: string | null | undefined;

function bootId(): string | null {
  if (bootIdMemo === undefined) {
    try {
      bootIdMemo = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
    } catch {
      bootIdMemo = null;
    }
  }
  return bootIdMemo;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
