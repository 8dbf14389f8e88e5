/**
 * OpenAI-compatible servers on this machine or the private network (LM Studio, vLLM, llama.cpp
 * server): /v1/chat/completions streamed as server-sent events ending in `data: [DONE]`, /v1/models
 * for the served models. Structured output uses `response_format: { type: "json_schema", ... }`.
 */
import { DEFAULT_HTTP, type HttpSettings } from "./http.js";
import { httpCompletion, type StreamStep } from "./http-completion.js";
import { assertResolvesLocal, parseBaseUrl } from "./local-url.js";
import { type ProbeTarget, probeJson } from "./probe.js";
import { type ChatMessage, type Completion, type GenerateOptions, type Health, LlmError, type ModelInfo, type Prompt, type Provider, drain, errorText } from "./provider.js";
import { createQueue } from "./queue.js";

/** LM Studio's default. */
export const OPENAI_DEFAULT_URL = "http://127.0.0.1:1234/v1";

export interface OpenAiSettings {
  /** Served model id; when unset and the server serves exactly one model, that one. */
  model?: string;
  /** Base URL including the /v1 prefix. */
  baseUrl?: string;
  /** Permit a base URL outside this machine and the private network. */
  allowRemote?: boolean;
  /** Sent as a bearer token, for local servers started with an API key (vLLM --api-key). Never read from the environment. */
  apiKey?: string;
  /** Requests in flight at once (default 1). */
  concurrency?: number;
  http?: Partial<HttpSettings>;
}

interface ServedModel {
  id: string;
  owned_by?: string;
  max_model_len?: number;
  [key: string]: unknown;
}

/** The served models of a /models answer; entries without an id are skipped. */
function servedModels(answer: unknown): ServedModel[] {
  const data = answer as { data?: ServedModel[] };
  return Array.isArray(data.data) ? data.data.filter((m) => typeof m?.id === "string") : [];
}

/** The model `wanted` names, or the only one served when none is named. */
function pick(served: ServedModel[], wanted: string | undefined, server: string): ServedModel {
  const ids = served.map((m) => m.id).join(", ") || "none";
  if (wanted) {
    const found = served.find((m) => m.id === wanted);
    if (!found) throw new LlmError("model", `model ${wanted} is not served by ${server} (served: ${ids}); load it in the server or pass --model with one of those`);
    return found;
  }
  if (served.length === 1 && served[0]) return served[0];
  throw new LlmError("config", `no model chosen for ${server}: set model.name in evolve.config.yaml or pass --model (served: ${ids})`);
}

function payload(modelId: string, prompt: Prompt, options: GenerateOptions): Record<string, unknown> {
  const messages: readonly ChatMessage[] = typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
  const p: Record<string, unknown> = {
    model: modelId,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    stream: true,
    // Token counts come in a last chunk; servers that do not know the option ignore it.
    stream_options: { include_usage: true },
  };
  if (options.temperature !== undefined) p.temperature = options.temperature;
  if (options.topP !== undefined) p.top_p = options.topP;
  if (options.maxTokens !== undefined) p.max_tokens = options.maxTokens;
  if (options.stop?.length) p.stop = options.stop;
  if (options.seed !== undefined) p.seed = options.seed;
  if (options.schema) p.response_format = { type: "json_schema", json_schema: { name: "output", schema: options.schema, strict: true } };
  return p;
}

function read(message: unknown): StreamStep {
  const m = message as {
    error?: unknown;
    choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>;
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  };
  if (m.error !== undefined && m.error !== null) {
    const e = m.error as { message?: unknown };
    return { error: typeof e.message === "string" ? e.message : typeof m.error === "string" ? m.error : JSON.stringify(m.error) };
  }
  const choice = m.choices?.[0];
  const step: StreamStep = {};
  if (typeof choice?.delta?.content === "string") step.text = choice.delta.content;
  if (choice?.finish_reason) step.whole = true;
  if (m.usage) {
    step.usage = {
      ...(typeof m.usage.prompt_tokens === "number" ? { prompt: m.usage.prompt_tokens } : {}),
      ...(typeof m.usage.completion_tokens === "number" ? { completion: m.usage.completion_tokens } : {}),
    };
  }
  return step;
}

function modelInfo(m: ServedModel, root: string): ModelInfo {
  const { id, owned_by, max_model_len } = m;
  return {
    provider: "openai",
    model: id,
    // These servers publish no weight digest: the identity cannot notice new weights under an old name.
    identity: `openai:${root}#${id}`,
    ...(typeof max_model_len === "number" ? { contextSize: max_model_len } : {}),
    details: { baseUrl: root, ...(owned_by !== undefined ? { ownedBy: owned_by } : {}) },
  };
}

export function createOpenAiProvider(settings: OpenAiSettings = {}): Provider {
  const allowRemote = settings.allowRemote ?? false;
  const base = parseBaseUrl(settings.baseUrl ?? OPENAI_DEFAULT_URL, allowRemote, "OpenAI-compatible base URL");
  const root = base.href.replace(/\/+$/, "");
  const server = `the OpenAI-compatible server at ${root}`;
  const http: HttpSettings = { ...DEFAULT_HTTP, ...settings.http };
  const queue = createQueue(settings.concurrency ?? 1);
  const headers: Record<string, string> = settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {};
  const target: ProbeTarget = { server, base, root, allowRemote, http, headers };
  let chosen: Promise<ServedModel> | null = null;

  const models = async (retries = http.retries): Promise<ServedModel[]> => servedModels(await probeJson(target, "/models", undefined, retries));

  function model(): Promise<ServedModel> {
    chosen ??= models().then((served) => pick(served, settings.model, server));
    chosen.catch(() => {
      chosen = null; // a server started later, or a model loaded later, should be seen
    });
    return chosen;
  }

  async function* stream(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<string, Completion> {
    const modelId = settings.model ?? (await model()).id;
    return yield* httpCompletion({
      server,
      method: "POST",
      url: `${root}/chat/completions`,
      body: payload(modelId, prompt, options),
      headers,
      format: "sse",
      read,
      before: () => assertResolvesLocal(base, allowRemote),
      options,
      http,
      queue,
    });
  }

  return {
    name: "openai",
    async info(): Promise<ModelInfo> {
      return modelInfo(await model(), root);
    },
    async health(): Promise<Health> {
      try {
        pick(await models(0), settings.model, server);
      } catch (err) {
        return { ok: false, problem: errorText(err) };
      }
      return { ok: true };
    },
    stream,
    complete: (prompt, options) => drain(stream(prompt, options)),
    async listModels() {
      return (await models(0)).map((m) => m.id);
    },
    async close() {
      // Nothing held open.
    },
  };
}
