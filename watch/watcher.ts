/**
 * `evolve watch`: background improvement. Triggers (files, commits, schedule, feedback) are
 * debounced into one run at a time: re-measure the committed tip; when cases fail (or the schedule
 * or feedback asked), run an improvement cycle under the workspace lock; then test the tip's
 * generation for a live regression. An error in a run is one line in the log and the watcher goes
 * on; a lock held by someone else (a manual `evolve run`) is waited out and the run retried.
 */
import { isEvolveError, errorMessage } from "../kernel/errors.js";
import { measureRef } from "../history/measure-ref.js";
import { currentBranch, dirtyPaths, readRef } from "../ledger/index.js";
import { readCommittedConfig } from "../workspace/interactions.js";
import type { ProviderFlags } from "../agent/llm/select.js";
import { runCycle, type CycleResult, type StopRequest } from "./cycle.js";
import { checkLiveRegression } from "./live-check.js";
import { startTriggers, type TriggerReason, type Triggers } from "./triggers.js";

export interface WatchOptions {
  root: string;
  /** What the lock shows, e.g. `evolve watch` or `evolve serve --improve`. */
  command: string;
  log: (line: string) => void;
  proposer?: "builtin" | "llm" | "mixed";
  model?: ProviderFlags;
  /** Run once at start, before any trigger (default true). */
  initialRun?: boolean;
  /** After each cycle that ran (tests, benchmarks). */
  onCycle?: (result: CycleResult) => void;
}

export interface Watcher {
  /** Resolves when the watcher has stopped (asked to, or the workspace went away). */
  readonly done: Promise<"stopped" | "gone">;
  /** Asks it to stop: a cycle in progress ends before its next round; resolves once stopped. */
  stop(): Promise<void>;
  /** Tests the tip's generation for a live regression, after any run in progress (the server calls it after a reload). */
  checkLive(): Promise<void>;
  /** Cycles run so far. */
  readonly cycles: number;
}

/** Retry delay when another writer holds the lock. */
const LOCKED_RETRY_MS = 2000;

/** What one run (measure, maybe a cycle, live check) works with. */
interface RunContext {
  o: WatchOptions;
  branch: string;
  stop: StopRequest;
  triggers: Triggers;
  /** Cycles run, and the tip the last one left: failing cases there were already tried, until something changes. */
  state: { cycles: number; cycledTip: string | null };
  /** Run again after `ms` for this reason (the lock was held). */
  retry: (reason: TriggerReason, detail: string, ms: number) => void;
}

/** Measure the committed tip; when cases fail (or the schedule or feedback asked), a cycle; then the live check. */
async function runOnce(x: RunContext, reasons: Map<TriggerReason, string>): Promise<void> {
  const { o } = x;
  const why = [...reasons].map(([r, d]) => `${r} (${d})`).join(", ");
  try {
    const dirty = (await dirtyPaths(o.root)).filter((p) => !p.startsWith(".evolve/"));
    if (dirty.length > 0) {
      o.log(`${why}: uncommitted changes (${dirty.slice(0, 3).join(", ")}${dirty.length > 3 ? ", ..." : ""}); evolve judges what is committed: commit them and the watcher takes it from there`);
      return;
    }
    const m = await measureRef(o.root, "HEAD");
    if (!m.ok) return o.log(`${why}: the tip cannot be measured (${m.stage}): ${m.reason}`);
    const failing = m.measurement.failed;
    const asked = reasons.has("schedule") || reasons.has("feedback");
    o.log(`${why}: tip ${m.commit.slice(0, 10)} passes ${m.measurement.passed}/${m.measurement.total} case(s), score ${m.measurement.score}`);
    if (asked || (failing > 0 && m.commit !== x.state.cycledTip)) await cycle(x);
    else if (failing > 0) o.log("  the last cycle left this tip and could not repair it: waiting for a change (a commit, an edit, feedback or the schedule)");
    await live(x);
  } catch (err) {
    o.log(`${why}: ${errorMessage(err)}; still watching`);
  }
}

async function cycle(x: RunContext): Promise<void> {
  const { o } = x;
  let result: CycleResult;
  try {
    result = await runCycle({ root: o.root, stop: x.stop, command: o.command, ...(o.proposer ? { proposer: o.proposer } : {}), ...(o.model ? { model: o.model } : {}) });
  } catch (err) {
    if (!isEvolveError(err, "lock-held")) throw err;
    o.log(`${errorMessage(err)}; retrying in ${LOCKED_RETRY_MS / 1000} s`);
    x.retry("commit", "after the lock holder", LOCKED_RETRY_MS);
    return;
  }
  x.state.cycles++;
  const tip = await readRef(o.root, `refs/heads/${x.branch}`);
  x.state.cycledTip = tip ?? null;
  x.triggers.setKnownTip(tip);
  x.triggers.resetFeedback(Date.now());
  for (const g of result.generations) o.log(`  gen ${g.generation} ${g.commit.slice(0, 10)} score ${g.score}: ${g.summary}`);
  o.log(`cycle ${x.state.cycles}: ${result.stopReason}; score ${result.initialScore} -> ${result.finalScore}${result.stillFailing.length ? `; still failing: ${result.stillFailing.join(", ")}` : ""}`);
  o.onCycle?.(result);
}

async function live(x: RunContext): Promise<void> {
  const { o } = x;
  const check = await checkLiveRegression(o.root, o.command);
  if (check.decision === "glitch") o.log(`live check: ${check.reason}; not acted on`);
  if (check.regression === null) return;
  o.log(`live regression in generation ${check.generation} (${(check.commit ?? "").slice(0, 10)}): ${check.findings.join("; ")}`);
  if (check.reverted) {
    x.triggers.setKnownTip(check.reverted.commit);
    o.log(`  reverted as ${check.reverted.tag} (${check.reverted.commit.slice(0, 10)}), safety.rollbackOnRegression is on`);
  } else o.log("  not reverted (safety.rollbackOnRegression is off, or the branch moved meanwhile)");
}

/** Starts watching; a config that does not parse at start is refused (the caller exits 2). */
export async function startWatcher(o: WatchOptions): Promise<Watcher> {
  const branch = await currentBranch(o.root);
  const config = await readCommittedConfig(o.root);
  const stop: StopRequest = { count: 0 };
  const pending = new Map<TriggerReason, string>();
  let debounce: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let finish!: (how: "stopped" | "gone") => void;
  const done = new Promise<"stopped" | "gone">((r) => (finish = r));
  const debounceMs = (): number => x?.triggers.config.watch.debounceMs ?? config.watch.debounceMs;

  const schedule = (ms: number): void => {
    if (stop.count > 0) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => void drain(), ms);
  };
  const fire = (reason: TriggerReason, detail: string): void => {
    pending.set(reason, detail);
    if (running === null) schedule(debounceMs());
  };
  const drain = async (): Promise<void> => {
    if (x === null) return schedule(debounceMs()); // a trigger during start-up: run once it is done
    if (running !== null || pending.size === 0 || stop.count > 0) return;
    const reasons = new Map(pending);
    pending.clear();
    running = runOnce(x, reasons).finally(() => {
      running = null;
      if (pending.size > 0) schedule(debounceMs());
    });
    await running;
  };
  const shutdown = async (how: "stopped" | "gone"): Promise<void> => {
    stop.count++;
    if (debounce) clearTimeout(debounce);
    if (stop.count > 1) return;
    await x?.triggers.close();
    await running;
    finish(how);
  };
  let x: RunContext | null = null;
  const triggers = await startTriggers({
    root: o.root,
    branch,
    config,
    fire,
    log: o.log,
    gone: () => {
      if (stop.count > 0) return;
      o.log(`the workspace ${o.root} is gone (its .git was removed): nothing left to watch`);
      void shutdown("gone");
    },
  });
  x = { o, branch, stop, triggers, state: { cycles: 0, cycledTip: null }, retry: (reason, detail, ms) => (pending.set(reason, detail), schedule(ms)) };
  const ctx = x;
  if (o.initialRun !== false) fire("start", "first look");
  return {
    done,
    stop: async () => {
      await shutdown("stopped");
      await done;
    },
    checkLive: async () => {
      // After the run in progress (which ends with this check too): a second check of the same tip
      // finds it reverted already, or the branch moved, and changes nothing.
      await running;
      if (stop.count > 0) return;
      await live(ctx).catch((err: unknown) => o.log(`live regression check: ${errorMessage(err)}`));
    },
    get cycles() {
      return ctx.state.cycles;
    },
  };
}
