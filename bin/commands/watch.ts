/**
 * `evolve watch`: improve the workspace in the background. Golden tests, evolvable files and the
 * config are watched; a committed change that leaves cases failing starts an improvement cycle, as
 * do the schedule (`reflection.interval: 1h`) and bad feedback (`watch.badFeedback`). One cycle at a
 * time, holding the workspace lock, so a manual `evolve run` meanwhile is refused (or waits with
 * --wait). SIGINT or SIGTERM stop a cycle in progress between candidates; a second one
 * exits at once (a commit is written whole or not at all, and the lock of a dead process is stale).
 */
import type { ProviderFlags } from "../../agent/llm/select.js";
import { fail, setExitCode } from "../output.js";
import { providerFlags } from "./ask.js";
import { logLine, untilSignal } from "./serve.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface WatchFlags {
  workspace?: string;
  proposer?: "builtin" | "llm" | "mixed";
  provider?: string;
  model?: string;
  baseUrl?: string;
  threads?: number;
}

/** The watcher for `root`, logging to stderr; returns what stops it (for `evolve serve --improve`). */
export async function startWatchCommand(root: string, flags: WatchFlags, command: string) {
  const { startWatcher } = await import("../../watch/watcher.js");
  const model: ProviderFlags = providerFlags(flags);
  const watcher = await startWatcher({ root, command, log: logLine, ...(flags.proposer ? { proposer: flags.proposer } : {}), ...(Object.keys(model).length ? { model } : {}) });
  return watcher;
}

export async function watchCommand(flags: WatchFlags): Promise<void> {
  let watcher;
  try {
    const root = workspaceFromFlag(flags.workspace);
    watcher = await startWatchCommand(root, flags, "evolve watch");
    logLine(`watching ${root}: golden tests, evolvable files and the config; stop with Ctrl-C`);
  } catch (err) {
    fail(err);
    return;
  }
  const how = await Promise.race([watcher.done, untilSignal()]);
  if (how === "gone") {
    setExitCode(1);
    return;
  }
  logLine(`${how}: stopping before the next round of a cycle in progress (again to stop at once)`);
  const again = untilSignal().then((s) => {
    logLine(`${s}: stopping now`);
    process.exit(130);
  });
  await Promise.race([watcher.stop(), again]);
}
