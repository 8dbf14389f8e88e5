/**
 * Which provider to use: the workspace config's `model` section with command-line flags on top
 * (`--provider`, `--model`, `--base-url`, `--threads`); a remote base URL needs `model.allowRemote` in the config.
 */
import path from "node:path";
import type { EvolveConfig } from "../../workspace/config.js";
import { createLlamaCppProvider } from "./llama-cpp.js";
import { OLLAMA_DEFAULT_URL, createOllamaProvider } from "./ollama.js";
import { OPENAI_DEFAULT_URL, createOpenAiProvider } from "./openai.js";
import { redact } from "../../kernel/redact.js";
import { LlmError, PROVIDER_NAMES, type Provider, type ProviderName } from "./provider.js";

/** Everything needed to build a provider. */
export interface ProviderSettings {
  provider: "none" | ProviderName;
  /** Absolute GGUF path (node-llama-cpp) or the served model name (ollama, openai). */
  model?: string;
  baseUrl?: string;
  /** CPU threads for node-llama-cpp (default 1). */
  threads?: number;
  /** Context window for node-llama-cpp. */
  contextSize?: number;
  /** Permit a non-local base URL. */
  allowRemote?: boolean;
  /** Requests in flight at once per provider (default 1). */
  concurrency?: number;
  /** Default deadline per call. */
  timeoutMs?: number;
  /** Retries of connection errors and 5xx answers (HTTP providers). */
  retries?: number;
  /** Bearer token for a local OpenAI-compatible server that wants one. */
  apiKey?: string;
}

/** The config's model section, including keys it may grow (allowRemote, threads, ...). */
export type ModelSection = EvolveConfig["model"] & Partial<Pick<ProviderSettings, "threads" | "contextSize" | "allowRemote" | "concurrency" | "timeoutMs" | "retries">>;

/** Command-line flags as the CLI parsed them (strings are checked here). */
export interface ProviderFlags {
  provider?: string;
  model?: string;
  baseUrl?: string;
  threads?: number;
  allowRemote?: boolean;
}

const CHOICES = ["none", ...PROVIDER_NAMES] as const;

function isChoice(p: string): p is (typeof CHOICES)[number] {
  return (CHOICES as readonly string[]).includes(p);
}

/**
 * Merges config and flags. A flag wins over the config key it names. When `--provider` switches to
 * another back-end, the config's model name and base URL are dropped: they belong to the other one.
 * A GGUF path from the config is relative to the workspace; one from `--model` to the current folder.
 * `--model x.gguf` without `--provider` selects node-llama-cpp.
 */
export function resolveSettings(config: ModelSection, flags: ProviderFlags = {}, dirs: { workspace?: string; cwd?: string } = {}): ProviderSettings {
  if (flags.provider !== undefined && !isChoice(flags.provider)) {
    throw new LlmError("config", `--provider: unknown provider "${flags.provider}" (expected one of ${CHOICES.join(", ")})`);
  }
  if (flags.threads !== undefined && (!Number.isInteger(flags.threads) || flags.threads < 1)) {
    throw new LlmError("config", `--threads: expected a whole number >= 1, got ${flags.threads}`);
  }
  // "localhost:11434" parses as a URL with the scheme "localhost:", hence the explicit scheme test.
  if (flags.baseUrl !== undefined && !(/^https?:\/\//i.test(flags.baseUrl) && URL.canParse(flags.baseUrl))) {
    throw new LlmError("config", `--base-url: "${redact(flags.baseUrl)}" is not an http:// or https:// URL (expected e.g. http://127.0.0.1:11434)`);
  }
  // A model flag naming a .gguf file can only mean the in-process back-end: asking for --provider
  // as well would be redundant, and the config's provider (often "none") must not override it.
  const impliedByModel = flags.provider === undefined && flags.model !== undefined && /\.gguf$/i.test(flags.model) ? "node-llama-cpp" : undefined;
  const provider = (flags.provider ?? impliedByModel ?? config.provider) as ProviderSettings["provider"];
  const sameBackEnd = provider === config.provider;
  const { name: _name, provider: _provider, baseUrl: _baseUrl, ...rest } = config;
  const out: ProviderSettings = { ...rest, provider };
  let model = flags.model;
  let from = dirs.cwd ?? process.cwd();
  if (model === undefined && sameBackEnd && config.name !== undefined) {
    model = config.name;
    from = dirs.workspace ?? from;
  }
  if (model !== undefined) out.model = provider === "node-llama-cpp" ? path.resolve(from, model) : model;
  const baseUrl = flags.baseUrl ?? (sameBackEnd ? config.baseUrl : undefined);
  if (baseUrl !== undefined) out.baseUrl = baseUrl;
  if (flags.threads !== undefined) out.threads = flags.threads;
  if (flags.allowRemote !== undefined) out.allowRemote = flags.allowRemote;
  return out;
}

/** Where the provider would connect, for messages: base URL with its default filled in. */
export function describeSettings(s: ProviderSettings): string {
  switch (s.provider) {
    case "none":
      return "none (built-in AST operators only, no LLM)";
    case "node-llama-cpp":
      return `node-llama-cpp, model file ${s.model ?? "(not set)"}, ${s.threads ?? 1} thread(s)`;
    case "ollama":
      return `ollama at ${redact(s.baseUrl ?? OLLAMA_DEFAULT_URL)}, model ${s.model ?? "(not set)"}`;
    case "openai":
      return `OpenAI-compatible server at ${redact(s.baseUrl ?? OPENAI_DEFAULT_URL)}, model ${s.model ?? "(the one it serves)"}`;
  }
}

/**
 * Builds the provider the settings describe; null for "none". Throws LlmError for settings that
 * cannot work (no GGUF path, a refused non-local base URL). Nothing is loaded or contacted yet.
 */
export function selectProvider(s: ProviderSettings): Provider | null {
  const http = { ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}), ...(s.retries !== undefined ? { retries: s.retries } : {}) };
  const common = {
    ...(s.model !== undefined ? { model: s.model } : {}),
    ...(s.baseUrl !== undefined ? { baseUrl: s.baseUrl } : {}),
    ...(s.allowRemote !== undefined ? { allowRemote: s.allowRemote } : {}),
    ...(s.concurrency !== undefined ? { concurrency: s.concurrency } : {}),
    http,
  };
  switch (s.provider) {
    case "none":
      return null;
    case "node-llama-cpp":
      if (!s.model) throw new LlmError("config", "node-llama-cpp needs a GGUF file: set model.name in evolve.config.yaml to its path, or pass --model PATH");
      return createLlamaCppProvider({
        modelPath: s.model,
        ...(s.threads !== undefined ? { threads: s.threads } : {}),
        ...(s.contextSize !== undefined ? { contextSize: s.contextSize } : {}),
        ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
      });
    case "ollama":
      return createOllamaProvider(common);
    case "openai":
      return createOpenAiProvider({ ...common, ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}) });
  }
}
