/**
 * Ollama over its native HTTP API: /api/generate (plain prompts) and /api/chat (conversations), both
 * streaming NDJSON; /api/tags lists pulled models, /api/show describes one. Structured output uses
 * Ollama's `format: <json schema>`.
 */
import { DEFAULT_HTTP, type HttpSettings } from "./http.js";
import { httpCompletion, type StreamStep } from "./http-completion.js";
import { assertResolvesLocal, parseBaseUrl } from "./local-url.js";
import { type ProbeTarget, probeJson } from "./probe.js";
import { type Completion, type GenerateOptions, type Health, LlmError, type ModelInfo, type Prompt, type Provider, drain, errorText } from "./provider.js";
import { createQueue } from "./queue.js";

export const OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434";

export interface OllamaSettings {
  /** Model name as Ollama knows it ("llama3", "qwen2.5-coder:7b"). */
  model?: string;
  baseUrl?: string;
  /** Permit a base URL outside this machine and the private network. */
  allowRemote?: boolean;
  /** Requests in flight at once (default 1: Ollama is known to freeze under concurrency). */
  concurrency?: number;
  http?: Partial<HttpSettings>;
}

interface TagsModel {
  name: string;
  model?: string;
  digest?: string;
  size?: number;
  details?: Record<string, unknown>;
}

/** Ollama names without a tag mean ":latest". */
function sameModel(listed: string, wanted: string): boolean {
  return listed === wanted || listed === `${wanted}:latest`;
}

const notPulled = (model: string): string => `model ${model} is not pulled: run \`ollama pull ${model}\``;

async function tags(target: ProbeTarget, retries = target.http.retries): Promise<TagsModel[]> {
  const data = (await probeJson(target, "/api/tags", undefined, retries)) as { models?: TagsModel[] };
  return Array.isArray(data.models) ? data.models : [];
}

function requireModel(model: string | undefined): string {
  if (!model) throw new LlmError("config", `no Ollama model chosen: set model.name in evolve.config.yaml or pass --model NAME`);
  return model;
}

async function loadInfo(target: ProbeTarget, model: string | undefined): Promise<ModelInfo> {
  const name = requireModel(model);
  const entry = (await tags(target)).find((m) => sameModel(m.name, name));
  if (!entry) throw new LlmError("model", notPulled(name));
  const show = (await probeJson(target, "/api/show", { model: entry.name }, target.http.retries)) as { details?: Record<string, unknown>; model_info?: Record<string, unknown> };
  const contextKey = Object.keys(show.model_info ?? {}).find((k) => k.endsWith(".context_length"));
  const contextSize = contextKey ? Number(show.model_info?.[contextKey]) : undefined;
  return {
    provider: "ollama",
    model: entry.name,
    // The digest changes when the weights behind a tag change, so cached answers go stale with them.
    identity: `ollama:${entry.name}@${entry.digest ?? "unknown-digest"}`,
    ...(contextSize !== undefined && Number.isFinite(contextSize) ? { contextSize } : {}),
    details: { baseUrl: target.root, ...(entry.size !== undefined ? { sizeBytes: entry.size } : {}), ...(show.details ?? entry.details ?? {}) },
  };
}

/** Whether the pulled models include the chosen one. */
function tagsHealth(listed: TagsModel[], model: string | undefined): Health {
  if (!model) {
    const names = listed.map((m) => m.name);
    return { ok: false, problem: `no Ollama model chosen: set model.name in evolve.config.yaml or pass --model NAME (pulled: ${names.join(", ") || "none"})` };
  }
  if (!listed.some((m) => sameModel(m.name, model))) return { ok: false, problem: notPulled(model) };
  return { ok: true };
}

function body(model: string | undefined, prompt: Prompt, options: GenerateOptions): { path: string; payload: Record<string, unknown> } {
  const o: Record<string, unknown> = {};
  if (options.temperature !== undefined) o.temperature = options.temperature;
  if (options.topP !== undefined) o.top_p = options.topP;
  if (options.maxTokens !== undefined) o.num_predict = options.maxTokens;
  if (options.stop?.length) o.stop = options.stop;
  if (options.seed !== undefined) o.seed = options.seed;
  const payload: Record<string, unknown> = { model: requireModel(model), stream: true, options: o };
  if (options.schema) payload.format = options.schema;
  if (typeof prompt === "string") return { path: "/api/generate", payload: { ...payload, prompt } };
  return { path: "/api/chat", payload: { ...payload, messages: prompt.map((m) => ({ role: m.role, content: m.content })) } };
}

function read(chat: boolean) {
  return (message: unknown): StreamStep => {
    const m = message as { error?: unknown; response?: unknown; message?: { content?: unknown }; done?: unknown; prompt_eval_count?: unknown; eval_count?: unknown };
    if (m.error !== undefined) return { error: typeof m.error === "string" ? m.error : JSON.stringify(m.error) };
    const text = chat ? m.message?.content : m.response;
    const step: StreamStep = typeof text === "string" ? { text } : {};
    if (m.done === true) {
      step.done = true;
      step.usage = {
        ...(typeof m.prompt_eval_count === "number" ? { prompt: m.prompt_eval_count } : {}),
        ...(typeof m.eval_count === "number" ? { completion: m.eval_count } : {}),
      };
    }
    return step;
  };
}

/** Ollama answers a generation for a model it does not have with 404 "model ... not found": say how to get it. */
function notPulledError(err: unknown, model: unknown, server: string): unknown {
  if (err instanceof LlmError && err.status === 404 && /not found/i.test(err.data.serverMessage ?? "")) {
    return new LlmError("model", `${notPulled(String(model))} (${server} answered 404)`, { cause: err, status: 404 });
  }
  return err;
}

export function createOllamaProvider(settings: OllamaSettings = {}): Provider {
  const allowRemote = settings.allowRemote ?? false;
  const base = parseBaseUrl(settings.baseUrl ?? OLLAMA_DEFAULT_URL, allowRemote, "Ollama base URL");
  const root = base.href.replace(/\/+$/, "");
  const server = `Ollama at ${root}`;
  const http: HttpSettings = { ...DEFAULT_HTTP, ...settings.http };
  const queue = createQueue(settings.concurrency ?? 1);
  const model = settings.model;
  const target: ProbeTarget = { server, base, root, allowRemote, http };
  let infoMemo: Promise<ModelInfo> | null = null;

  async function* stream(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<string, Completion> {
    const { path, payload } = body(model, prompt, options);
    try {
      return yield* httpCompletion({
        server,
        method: "POST",
        url: `${root}${path}`,
        body: payload,
        format: "ndjson",
        read: read(path === "/api/chat"),
        before: () => assertResolvesLocal(base, allowRemote),
        options,
        http,
        queue,
      });
    } catch (err) {
      throw notPulledError(err, payload.model, server);
    }
  }

  return {
    name: "ollama",
    info() {
      infoMemo ??= loadInfo(target, model).catch((err: unknown) => {
        infoMemo = null; // a server started later, or a model pulled later, should be seen
        throw err;
      });
      return infoMemo;
    },
    async health(): Promise<Health> {
      let listed: TagsModel[];
      try {
        listed = await tags(target, 0);
      } catch (err) {
        return { ok: false, problem: errorText(err) };
      }
      return tagsHealth(listed, model);
    },
    stream,
    complete: (prompt, options) => drain(stream(prompt, options)),
    async listModels() {
      return (await tags(target, 0)).map((m) => m.name);
    },
    async close() {
      // Nothing held open: fetch keeps no connection we own.
    },
  };
}
