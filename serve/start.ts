/**
 * Everything `evolve serve` holds, opened in order so that every start-up problem is refused before
 * a port is taken: the branch tip's agent (its tools must build), the model (a missing GGUF file is
 * refused here, not at the first request), the token (required off loopback), the interaction store,
 * the sandbox, then the listening socket (a port in use is refused too).
 */
import { resolveSettings, selectProvider, type ModelSection, type ProviderFlags } from "../agent/llm/select.js";
import { LlmError, type Provider } from "../agent/llm/provider.js";
import type { InteractionStore } from "../interactions/index.js";
import { EvolveError } from "../kernel/errors.js";
import { createSandbox, type Sandbox } from "../sandbox/pool.js";
import { openWorkspaceStore } from "../workspace/interactions.js";
import { WorkspaceError } from "../workspace/open.js";
import { openGenerationSource, type GenerationSource, type ServedGeneration } from "./generations.js";
import { checkToken, generateToken, isLoopback } from "./http-io.js";
import { startServer, type EvolveServer } from "./server.js";

export interface ServeOptions {
  root: string;
  /** Overrides of the config's `model` section (--provider, --model, --base-url, --threads). */
  model: ProviderFlags;
  /** Overrides of the config's `serve` section. */
  host?: string;
  port?: number;
  /** A bearer token to require; without one, loopback needs none and anything else gets a generated one. */
  token?: string;
  /** False with --no-record. */
  record?: boolean;
  log: (line: string) => void;
  /** A new generation is being served (hot reload). */
  onReload?: (next: ServedGeneration, previous: ServedGeneration) => void;
  cwd?: string;
}

export interface RunningServe {
  server: EvolveServer;
  generations: GenerationSource;
  /** The token clients must send; null when none is required. */
  token: string | null;
  /** True when the token was generated here (to be printed). */
  generatedToken: boolean;
  store: InteractionStore | null;
  provider: Provider;
  close(): Promise<void>;
}

/** The token to require: the given one (checked), a generated one off loopback, none on loopback. */
function tokenFor(host: string, given: string | undefined): { token: string | null; generated: boolean } {
  if (given !== undefined) {
    checkToken(given);
    return { token: given, generated: false };
  }
  return isLoopback(host) ? { token: null, generated: false } : { token: generateToken(), generated: true };
}

async function openProvider(o: ServeOptions, g: ServedGeneration): Promise<{ provider: Provider; name: string; kind: string }> {
  const settings = resolveSettings(g.config.model as ModelSection, o.model, { workspace: o.root, cwd: o.cwd ?? process.cwd() });
  if (settings.provider === "none") throw new WorkspaceError(`no model configured: set model.provider and model.name in ${o.root}/evolve.config.yaml, or pass --provider and --model`, "no-model");
  const provider = selectProvider(settings);
  if (!provider) throw new LlmError("config", "no provider selected");
  const health = await provider.health();
  if (!health.ok) {
    // A model file is this machine's business: refused now. A model server may come up later: said, and served.
    if (settings.provider === "node-llama-cpp") {
      await provider.close();
      throw new LlmError("config", health.problem);
    }
    o.log(`warning: ${health.problem}; requests fail until it answers`);
  }
  return { provider, name: settings.model ?? "(server default)", kind: settings.provider };
}

/** Opens everything and listens; on any refusal, what was opened is closed again. */
export async function startServe(o: ServeOptions): Promise<RunningServe> {
  const opened: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of opened.reverse()) await Promise.resolve(close()).catch(() => undefined);
  };
  try {
    const generations = await openGenerationSource(o.root, {
      reloadMs: 0,
      onReload: (next, previous) => o.onReload?.(next, previous),
      onReloadError: (err, commit) => o.log(`not reloading ${commit.slice(0, 10)}: ${err instanceof Error ? err.message : String(err)}; still serving the last good generation`),
    });
    opened.push(() => generations.stop());
    const first = generations.current();
    const host = o.host ?? first.config.serve.host;
    const port = o.port ?? first.config.serve.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new EvolveError("usage", `--port: expected a port number 0-65535, got ${port}`, { flag: "--port" });
    const { token, generated } = tokenFor(host, o.token);
    const { provider, name, kind } = await openProvider(o, first);
    opened.push(() => provider.close());
    const record = o.record !== false && first.config.interactions.record;
    const store = record ? await openWorkspaceStore(o.root, { create: true, maxBytes: first.config.interactions.maxSizeMb * 1048576 }) : null;
    if (store) opened.push(() => store.close());
    const { timeoutMs, memoryMb, workers } = first.config.sandbox;
    const sandbox: Sandbox = createSandbox({ workers: Math.max(1, Math.min(workers, first.config.serve.maxConcurrent)), timeoutMs, memoryMb });
    opened.push(() => sandbox.destroy());
    let identity: Promise<string | null> | null = null;
    const server = await startServer(
      {
        generations,
        provider,
        sandbox,
        store,
        model: { provider: kind, name },
        identity: () => (identity ??= provider.info().then((i) => i.identity, () => null)),
        log: o.log,
        token,
        maxRequestBytes: first.config.serve.maxRequestBytes,
        maxConcurrent: first.config.serve.maxConcurrent,
      },
      host,
      port,
    );
    opened.push(() => server.close());
    // Watch the tip only once serving: a reload never races the start-up.
    const timer = setInterval(() => void generations.refresh(), first.config.serve.reloadMs);
    timer.unref();
    opened.push(() => clearInterval(timer));
    return { server, generations, token, generatedToken: generated, store, provider, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
