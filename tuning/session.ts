/**
 * A tuning session on a workspace: the model resolved from config and flags (the same one check
 * `evolve run` uses), its response cache under .git/evolve/, a sandbox, and the tune loop. Used by
 * `evolve tune` and by the engine after the code generations of `evolve run`; resources handed in
 * by the caller are used, not closed.
 */
import path from "node:path";
import { createResponseCache, type CacheStats } from "../agent/llm/cache.js";
import { LlmError, type Provider } from "../agent/llm/provider.js";
import { describeSettings, resolveSettings, selectProvider, type ModelSection, type ProviderFlags } from "../agent/llm/select.js";
import { openWorkspace, WorkspaceError } from "../workspace/open.js";
import { gitdirOf } from "../ledger/index.js";
import { createSandbox, type Sandbox } from "../sandbox/pool.js";
import { tune, type TuneEvent, type TuneReport } from "./tune.js";

export interface TuneSessionOptions {
  flags: ProviderFlags;
  rounds?: number;
  repeats?: number;
  alpha?: number;
  /** A sandbox the caller owns (the run's); default: one made and destroyed here. */
  sandbox?: Sandbox;
  /** A provider the caller owns and has health-checked; default: one made from the settings and closed here. */
  provider?: Provider | null;
  onStart?: (line: string) => void;
  onEvent?: (e: TuneEvent) => void;
}

export async function tuneWorkspace(root: string, o: TuneSessionOptions): Promise<{ report: TuneReport; stats: CacheStats }> {
  const owned: Array<() => Promise<void>> = [];
  try {
    const ws = await openWorkspace(root);
    const settings = resolveSettings(ws.config.model as ModelSection, o.flags, { workspace: root });
    if (settings.provider === "none") throw new WorkspaceError(`evolve tune needs a model: set model.provider and model.name in ${path.join(root, "evolve.config.yaml")}, or pass --provider and --model`, "no-model");
    let provider = o.provider ?? null;
    if (provider === null) {
      const made = selectProvider(settings);
      if (!made) throw new LlmError("config", "no provider selected");
      owned.push(() => made.close());
      provider = made;
    }
    let sandbox = o.sandbox;
    if (sandbox === undefined) {
      const { timeoutMs, memoryMb } = ws.config.sandbox;
      const made = createSandbox({ workers: 1, timeoutMs, memoryMb });
      owned.push(() => made.destroy());
      sandbox = made;
    }
    const cache = createResponseCache(path.join(await gitdirOf(root), "evolve", "response-cache.jsonl"));
    o.onStart?.(`tuning ${root} with ${describeSettings(settings)}`);
    const report = await tune({
      root,
      provider,
      cache,
      sandbox,
      ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
      ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
      ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
      ...(o.onEvent !== undefined ? { onEvent: o.onEvent } : {}),
    });
    return { report, stats: { ...cache.stats } };
  } finally {
    await Promise.allSettled(owned.map((close) => close()));
  }
}
