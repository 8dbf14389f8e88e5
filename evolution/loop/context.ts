/**
 * The run context: every resource a run holds, built once at the edge from the config and the
 * flags and closed in one place. The loop receives it as a parameter, so a test hands it a real
 * sandbox (or one wrapped to misbehave) and a remote evaluator can take the sandbox's place: all
 * the loop asks of it is `run(bundle, cases)`.
 */
import type { EvolveConfig } from "../../workspace/config.js";
import { WorkspaceError } from "../../workspace/open.js";
import { openSandbox } from "../../queue/index.js";
import type { Sandbox } from "../../sandbox/pool.js";
import { openEvalCache } from "../../ledger/index.js";
import type { EvalCache } from "../../ledger/index.js";
import { resolveSettings, selectProvider } from "../../agent/llm/index.js";
import type { Provider, ProviderFlags, ProviderSettings } from "../../agent/llm/index.js";

/** The model identity recorded when no model took part. */
export const MODEL_NONE = "none";

/** What the loop needs from outside: where candidates run, where measurements are kept, who proposes. */
export interface RunResources {
  /** Runs a built bundle against the golden cases (a local pool today, a remote queue later). */
  readonly sandbox: Sandbox;
  /** Measurements keyed by tree id, suite hash and model. */
  readonly cache: EvalCache;
  /** The model, health-checked, when the run proposes with it; null for the built-in operators only. */
  readonly provider: Provider | null;
  /** The provider's identity for trailers (MODEL_NONE without one). */
  readonly modelId: string;
}

export interface RunContext extends RunResources {
  /** The model settings resolved once from config and flags: the one answer to "is there a model". */
  readonly model: ProviderSettings;
  close(): Promise<void>;
}

/**
 * The one "is there a model" check: the config's model section with the flags applied names a
 * provider, and for node-llama-cpp also the model file it would load.
 */
export function hasModel(settings: ProviderSettings): boolean {
  if (settings.provider === "none") return false;
  return settings.provider !== "node-llama-cpp" || settings.model !== undefined;
}

export async function openRunContext(
  root: string,
  config: EvolveConfig,
  options: { proposer?: "builtin" | "llm" | "mixed"; model?: ProviderFlags; redis?: string | undefined; suiteHash?: string },
): Promise<RunContext> {
  const model = resolveSettings(config.model, options.model ?? {}, { workspace: root });
  const proposer = options.proposer ?? "builtin";
  let provider: Provider | null = null;
  let modelId = MODEL_NONE;
  if (proposer !== "builtin") {
    provider = model.provider === "none" ? null : selectProvider(model);
    if (provider === null) throw new WorkspaceError(`--proposer ${proposer} needs a local model: set model.provider in evolve.config.yaml or pass --provider and --model`, "no-model");
    try {
      const health = await provider.health();
      if (!health.ok) throw new WorkspaceError(`--proposer ${proposer}: ${health.problem}`);
      modelId = (await provider.info()).identity;
    } catch (e) {
      await provider.close();
      throw e;
    }
  }
  const cache = await openEvalCache(root).catch(async (e: unknown) => {
    await provider?.close();
    throw e;
  });
  // Local pool, or `evolve worker` processes through Redis: the loop cannot tell which it got.
  const sandbox = openSandbox({ redis: options.redis ?? config.evaluation.redis, suiteHash: options.suiteHash ?? "", workers: config.sandbox.workers, timeoutMs: config.sandbox.timeoutMs, memoryMb: config.sandbox.memoryMb });
  const held = provider;
  return {
    sandbox,
    cache,
    provider,
    modelId,
    model,
    async close() {
      await Promise.allSettled([sandbox.destroy(), held?.close(), cache.flush()]);
    },
  };
}
