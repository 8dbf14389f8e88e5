/**
 * What starts a watch cycle, each as a source of named triggers: files (chokidar on golden tests,
 * evolvable files and the config, in the work tree), the branch tip moving (a commit by hand), the
 * schedule (`reflection.interval` as a duration) and feedback (N new bad interactions). The config
 * is re-read when it changes; one that does not parse is reported and the last good one kept.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import chokidar, { type FSWatcher } from "chokidar";
import { errorMessage } from "../kernel/errors.js";
import { readRef } from "../ledger/index.js";
import { isEvolvable, parseConfig, type EvolveConfig } from "../workspace/config.js";
import { CONFIG_FILE } from "../workspace/open.js";
import { openWorkspaceStore } from "../workspace/interactions.js";

export type TriggerReason = "files" | "commit" | "schedule" | "feedback" | "start";

/** Ratings at or below this count as bad feedback (bad is stored as 1, good as 5). */
const BAD_AT_MOST = 2;
/** How often the branch tip and the store are looked at, ms. */
const POLL_MS = 1000;

export interface TriggerOptions {
  root: string;
  branch: string;
  config: EvolveConfig;
  fire: (reason: TriggerReason, detail: string) => void;
  log: (line: string) => void;
  /** The workspace is gone (its .git vanished): nothing more can be watched. */
  gone: () => void;
}

export interface Triggers {
  /** The last config that parsed. */
  readonly config: EvolveConfig;
  /** The tip a cycle of ours left: not a trigger. */
  setKnownTip(tip: string | undefined): void;
  /** Bad feedback is counted from here on (a cycle just ran). */
  resetFeedback(at: number): void;
  close(): Promise<void>;
}

/** Workspace-relative POSIX path, or null outside it. */
function relative(root: string, file: string): string | null {
  const rel = path.relative(root, file).split(path.sep).join("/");
  return rel.startsWith("..") || path.isAbsolute(rel) ? null : rel;
}

export async function startTriggers(o: TriggerOptions): Promise<Triggers> {
  let config = o.config;
  let knownTip = await readRef(o.root, `refs/heads/${o.branch}`);
  let feedbackSince = Date.now();
  const relevant = (rel: string): boolean => rel === CONFIG_FILE || rel.startsWith("golden-tests/") || isEvolvable(config, rel);
  const onFile = (rel: string): void => {
    if (rel === CONFIG_FILE) reloadConfig();
    o.fire("files", rel);
  };
  // The config text last acted on: the poll compares with it, since a file watcher can miss an event
  // (an overloaded machine, an editor's save by rename, inotify's watch limit reached).
  let configText = readConfigText(o.root);
  const reloadConfig = (): void => {
    try {
      // Unreadable counts as null text, as readConfigText says, so the poll does not report it again.
      configText = null;
      configText = readFileSync(path.join(o.root, CONFIG_FILE), "utf8");
      config = parseConfig(configText, CONFIG_FILE);
      restartSchedule();
      o.log(`${CONFIG_FILE} changed: using it from now on`);
    } catch (err) {
      o.log(`${errorMessage(err)}; keeping the last good config`);
    }
  };
  const watcher = await watchFiles(o.root, relevant, onFile, o.log);

  let schedule: NodeJS.Timeout | null = null;
  const restartSchedule = (): void => {
    if (schedule) clearInterval(schedule);
    schedule = config.reflection.intervalMs === undefined ? null : setInterval(() => o.fire("schedule", `every ${config.reflection.intervalMs} ms`), config.reflection.intervalMs);
  };
  restartSchedule();

  let polling = false;
  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    void look().finally(() => (polling = false));
  }, POLL_MS);
  const look = async (): Promise<void> => {
    if (!existsSync(path.join(o.root, ".git"))) return o.gone();
    const text = readConfigText(o.root);
    if (text !== configText) onFile(CONFIG_FILE);
    const tip = await readRef(o.root, `refs/heads/${o.branch}`).catch(() => undefined);
    if (tip !== undefined && tip !== knownTip) {
      knownTip = tip;
      o.fire("commit", tip.slice(0, 10));
    }
    if (config.watch.badFeedback > 0) {
      const bad = await countBad(o.root, feedbackSince).catch(() => 0);
      if (bad >= config.watch.badFeedback) {
        feedbackSince = Date.now();
        o.fire("feedback", `${bad} new interaction(s) with bad feedback`);
      }
    }
  };

  return {
    get config() {
      return config;
    },
    setKnownTip: (tip) => void (knownTip = tip),
    resetFeedback: (at) => void (feedbackSince = at),
    async close() {
      clearInterval(poll);
      if (schedule) clearInterval(schedule);
      await watcher.close();
    },
  };
}

/** The config file's text, or null when it cannot be read (removed, or mid-rename). */
function readConfigText(root: string): string | null {
  try {
    return readFileSync(path.join(root, CONFIG_FILE), "utf8");
  } catch {
    return null;
  }
}

/** chokidar on the work tree, reporting the workspace-relative paths `relevant` accepts; resolves once it is watching. */
async function watchFiles(root: string, relevant: (rel: string) => boolean, onFile: (rel: string) => void, log: (line: string) => void): Promise<FSWatcher> {
  const watcher = chokidar.watch(root, {
    ignoreInitial: true,
    // chokidar 5 takes no globs: a function decides; directories are walked unless they are git's or build output.
    ignored: (file, stats) => {
      const rel = relative(root, file);
      if (rel === null) return true;
      if (/^(\.git|node_modules|dist)(\/|$)/.test(rel)) return true;
      return stats?.isFile() === true && !relevant(rel);
    },
  });
  const on = (file: string): void => {
    const rel = relative(root, file);
    if (rel !== null && relevant(rel)) onFile(rel);
  };
  watcher.on("add", on).on("change", on).on("unlink", on);
  watcher.on("error", (err) => log(`file watcher: ${errorMessage(err)}`));
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return watcher;
}

/** Interactions started since `since` whose rating is bad (a `bad` verdict or a rating of 1-2). */
async function countBad(root: string, since: number): Promise<number> {
  const store = await openWorkspaceStore(root, { create: false });
  if (store === null) return 0;
  try {
    const c = store.metricColumns({ since });
    let bad = 0;
    for (let i = 0; i < c.n; i++) if (c.rating[i]! <= BAD_AT_MOST) bad++;
    return bad;
  } finally {
    store.close();
  }
}
