/**
 * Hot reload: which generation of the agent the server answers with. The branch tip is read every
 * `reloadMs`; when it moves (a generation committed by the loop, a rollback, a commit by hand), the
 * new tip is opened and prepared aside and then swapped in whole. A request takes the generation
 * current when it arrives and keeps it to its end, so nothing in flight is dropped or changes agent
 * halfway. A tip that cannot be served (its tools do not build, its config does not parse) is
 * reported once and the last good generation goes on serving.
 */
import { prepareAgent, type PreparedAgent } from "../agent/runtime/run.js";
import { lastGenerationAt } from "../ledger/generations.js";
import { currentBranch, readCommitFiles, readRef } from "../ledger/index.js";
import { EvolveError } from "../kernel/errors.js";
import { parseConfig, type EvolveConfig } from "../workspace/config.js";
import { CONFIG_FILE } from "../workspace/open.js";

/** One servable generation: the committed agent, prepared. */
export interface ServedGeneration {
  commit: string;
  /** Its generation number (latest Evolve-Generation trailer at or before it). */
  generation: number;
  config: EvolveConfig;
  agent: PreparedAgent;
}

export interface GenerationSource {
  readonly branch: string;
  /** The generation new requests get. */
  current(): ServedGeneration;
  /** Looks at the branch tip now; true when a new generation was swapped in. */
  refresh(): Promise<boolean>;
  /** Stops looking. */
  stop(): void;
}

export interface GenerationSourceOptions {
  /** How often to look at the branch tip, ms (0: only when refresh() is called). */
  reloadMs: number;
  /** A new generation is served (after the swap). */
  onReload?: (next: ServedGeneration, previous: ServedGeneration) => void;
  /** The tip could not be served; the previous generation goes on. Called once per failing tip. */
  onReloadError?: (error: unknown, commit: string) => void;
}

// Only what answering needs (config, prompt, params, tools): a golden case being edited never stops the server.
async function load(root: string, commit: string): Promise<ServedGeneration> {
  const { files } = await readCommitFiles(root, commit);
  const text = files.get(CONFIG_FILE);
  if (text === undefined) throw new EvolveError("workspace", `${root}: ${CONFIG_FILE} is not committed at ${commit.slice(0, 10)}`, { dir: root, ref: commit, file: CONFIG_FILE });
  const config = parseConfig(text, CONFIG_FILE);
  const agent = await prepareAgent(files, config);
  return { commit, generation: await lastGenerationAt(root, commit), config, agent };
}

/** Opens the branch tip of `root` (errors here are the server's start-up errors) and starts watching it. */
export async function openGenerationSource(root: string, options: GenerationSourceOptions): Promise<GenerationSource> {
  const branch = await currentBranch(root);
  const ref = `refs/heads/${branch}`;
  const tip = await readRef(root, ref);
  if (tip === undefined) throw new EvolveError("workspace", `${root}: branch ${branch} has no commits`, { dir: root, branch });
  let served = await load(root, tip);
  let failed: string | null = null;
  let running: Promise<boolean> | null = null;

  async function look(): Promise<boolean> {
    let next: string | undefined;
    try {
      next = await readRef(root, ref);
    } catch (err) {
      // The workspace went away under the server: say so once, keep serving what is loaded.
      if (failed !== "(unreadable)") options.onReloadError?.(err, "(unreadable)");
      failed = "(unreadable)";
      return false;
    }
    if (next === undefined || next === served.commit || next === failed) return false;
    try {
      const loaded = await load(root, next);
      const previous = served;
      served = loaded;
      failed = null;
      options.onReload?.(loaded, previous);
      return true;
    } catch (err) {
      failed = next;
      options.onReloadError?.(err, next);
      return false;
    }
  }

  const refresh = (): Promise<boolean> => {
    // One look at a time: a slow load is not started twice for the same tip.
    running ??= look().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = options.reloadMs > 0 ? setInterval(() => void refresh(), options.reloadMs) : null;
  timer?.unref();
  return {
    branch,
    current: () => served,
    refresh,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
