/**
 * Where a workspace keeps its interaction store: `<gitdir>/evolve/interactions.sqlite`, inside the
 * workspace but never in its tree, so no commit, checkout or reset touches it. Also the committed
 * config alone, for commands that read the store and need only its thresholds.
 */
import path from "node:path";
import { gitdirOf, readCommitFile } from "../ledger/index.js";
import { openInteractionStore, toColumns, type InteractionStore, type LiveThresholds, type MetricColumns, type StoreOptions } from "../interactions/index.js";
import { parseConfig, type EvolveConfig } from "./config.js";
import { CONFIG_FILE, WorkspaceError } from "./open.js";

export const INTERACTIONS_FILE = "interactions.sqlite";

export async function interactionStorePath(root: string): Promise<string> {
  return path.join(await gitdirOf(root), "evolve", INTERACTIONS_FILE);
}

/**
 * The workspace's store. Writers (`create`) get it created when missing; readers get null when
 * nothing has been recorded yet, and nothing is created for them.
 */
export async function openWorkspaceStore(root: string, options: StoreOptions & { create: boolean }): Promise<InteractionStore | null> {
  return openInteractionStore(await interactionStorePath(root), options);
}

/** The config committed at HEAD, read without loading the rest of the tree. */
export async function readCommittedConfig(root: string): Promise<EvolveConfig> {
  const { text } = await readCommitFile(root, "HEAD", CONFIG_FILE);
  if (text === undefined) throw new WorkspaceError(`${root}: ${CONFIG_FILE} is not committed at HEAD`);
  return parseConfig(text, CONFIG_FILE);
}

/** The completed interactions of a window (all when `since` is null) by column, and the commits that served each generation; empty when nothing was recorded. */
export async function readLiveWindow(root: string, since: number | null): Promise<{ rows: MetricColumns; commits: Map<number, string[]> }> {
  const store = await openWorkspaceStore(root, { create: false });
  if (store === null) return { rows: toColumns([]), commits: new Map() };
  const window = since === null ? {} : { since };
  try {
    return { rows: store.metricColumns(window), commits: store.servedBy(window) };
  } finally {
    store.close();
  }
}

/** The live alert thresholds and minimum sample size the config sets. */
export function liveThresholdsOf(config: EvolveConfig): LiveThresholds {
  const { responseTimeMs, errorRate, userSatisfaction } = config.monitoring.alerts;
  return { responseTimeMs, errorRate, userSatisfaction, minSamples: config.monitoring.minSamples };
}
