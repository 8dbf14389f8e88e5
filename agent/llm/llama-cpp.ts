/**
 * A GGUF model run in process by node-llama-cpp, on the CPU. Loaded lazily and once; one context
 * sequence is reused (history cleared between calls), so calls are serialised. Plain prompts go
 * through LlamaCompletion; conversations are rendered by the model's chat wrapper first (a model
 * without a chat template gets node-llama-cpp's fallback). Schemas become GBNF grammars, so the
 * output always matches them (unless maxTokens cuts it short).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { ChatHistoryItem, Llama, LlamaCompletion, LlamaContext, LlamaContextSequence, LlamaGrammar, LlamaModel, LlamaText } from "node-llama-cpp";
import { deadline } from "./http.js";
import { type ChatMessage, type Completion, type GenerateOptions, type Health, LlmError, type ModelInfo, type Prompt, type Provider, drain, errorText } from "./provider.js";
import { type Queue, createQueue } from "./queue.js";

export interface LlamaCppSettings {
  /** Path of the .gguf file. */
  modelPath: string;
  /** CPU threads (default 1: llama.cpp's default of max(cores, 4) crawls on small machines). */
  threads?: number;
  /** Context window in tokens (default: the model's training context, at most 4096). */
  contextSize?: number;
  /** Default deadline of one call (default 300 s). */
  timeoutMs?: number;
}

type NodeLlamaCpp = typeof import("node-llama-cpp");

interface Loaded {
  lib: NodeLlamaCpp;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  completion: LlamaCompletion;
  grammars: Map<string, Promise<LlamaGrammar>>;
}

// One llama.cpp binding per process: it is heavy, and node-llama-cpp expects to be shared.
let llamaMemo: Promise<{ lib: NodeLlamaCpp; llama: Llama }> | null = null;

function sharedLlama(): Promise<{ lib: NodeLlamaCpp; llama: Llama }> {
  llamaMemo ??= (async () => {
    // Imported on demand so users of the HTTP providers never load the native addon.
    const lib = await import("node-llama-cpp");
    const llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error });
    return { lib, llama };
  })();
  llamaMemo.catch(() => {
    llamaMemo = null;
  });
  return llamaMemo;
}

/** "gguf-sha256:<hex>" of the file's bytes: the same weights give the same identity wherever they live. */
export async function ggufIdentity(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `gguf-sha256:${hash.digest("hex")}`;
}

/** Null when the file is usable, else what is wrong with it. */
async function fileProblem(file: string): Promise<string | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? null : `model file ${file} is not a file`;
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === "ENOENT" ? `model file ${file} does not exist` : `model file ${file} cannot be read (${code ?? errorText(err)})`;
  }
}

async function loadModel(file: string, threads: number, contextSize: number | undefined): Promise<Loaded> {
  const problem = await fileProblem(file);
  // A file that is missing or not a file is a setting to fix (--model, model.name): refused, exit 2.
  if (problem) throw new LlmError("config", problem);
  const { lib, llama } = await sharedLlama();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: file });
  } catch (err) {
    throw new LlmError("model", `cannot load model file ${file}: ${errorText(err)}`, { cause: err });
  }
  const context = await model.createContext({ threads, contextSize: contextSize ?? Math.min(model.trainContextSize, 4096) });
  const sequence = context.getSequence();
  const completion = new lib.LlamaCompletion({ contextSequence: sequence });
  return { lib, llama, model, context, sequence, completion, grammars: new Map() };
}

function grammar(l: Loaded, schema: object): Promise<LlamaGrammar> {
  const key = JSON.stringify(schema);
  let g = l.grammars.get(key);
  if (!g) {
    g = l.llama.createGrammarForJsonSchema(schema as Parameters<Llama["createGrammarForJsonSchema"]>[0]).catch((err: unknown) => {
      l.grammars.delete(key);
      throw new LlmError("config", `node-llama-cpp cannot turn this JSON schema into a grammar: ${errorText(err)}`, { cause: err });
    });
    l.grammars.set(key, g);
  }
  return g;
}

/** A conversation as the model's chat template renders it, with the template's own stop strings. */
function chatInput(l: Loaded, messages: readonly ChatMessage[]): { input: LlamaText; stops: LlamaText[] } {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === "assistant" ? { type: "model", response: [m.content] } : m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content },
  );
  // An empty model turn makes the template end with the assistant's opening.
  if (messages.at(-1)?.role !== "assistant") history.push({ type: "model", response: [] });
  const state = l.lib.resolveChatWrapper(l.model).generateContextState({ chatHistory: history });
  return { input: state.contextText, stops: [...state.stopGenerationTriggers] };
}

type CompletionOptions = NonNullable<Parameters<LlamaCompletion["generateCompletionWithMeta"]>[1]>;

/** The caller's options in node-llama-cpp's terms; unset ones are left to its defaults. */
function completionOptions(options: GenerateOptions, g: LlamaGrammar | undefined, stops: LlamaText[], signal: AbortSignal, onTextChunk: (chunk: string) => void): CompletionOptions {
  return {
    signal,
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.topP !== undefined ? { topP: options.topP } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(g ? { grammar: g } : {}),
    ...(options.stop?.length || stops.length ? { customStopTriggers: [...(options.stop ?? []), ...stops] } : {}),
    onTextChunk,
  };
}

/** Chunks pushed by node-llama-cpp's callback, pulled by an async iterator until `end()`. */
function chunkChannel(): { push: (chunk: string) => void; end: () => void; chunks(): AsyncGenerator<string> } {
  const pending: string[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  return {
    push: (chunk) => {
      pending.push(chunk);
      wake?.();
    },
    end: () => {
      finished = true;
      wake?.();
    },
    async *chunks() {
      for (;;) {
        const chunk = pending.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    },
  };
}

/** What a generation needs from its provider: the serialising queue, the loaded model, and the defaults. */
interface LlamaRunner {
  file: string;
  timeoutMs: number;
  queue: Queue;
  loaded(): Promise<Loaded>;
}

async function* generate(run: LlamaRunner, prompt: Prompt, options: GenerateOptions): AsyncGenerator<string, Completion> {
  const release = await run.queue.acquire(options.signal);
  const limit = options.timeoutMs ?? run.timeoutMs;
  const clock = deadline(limit, options.signal);
  let running: Promise<void> | null = null;
  let count = 0;
  try {
    const l = await run.loaded();
    await l.sequence.clearHistory();
    const { input, stops } = typeof prompt === "string" ? { input: prompt, stops: [] as LlamaText[] } : chatInput(l, prompt);
    const g = options.schema ? await grammar(l, options.schema) : undefined;
    const before = l.sequence.tokenMeter.getState();
    const start = performance.now();
    let firstTokenMs: number | null = null;
    let failure: unknown = null;
    let text = "";
    const channel = chunkChannel();
    running = l.completion
      .generateCompletionWithMeta(input, completionOptions(options, g, stops, clock.signal, channel.push))
      .then(
        () => undefined,
        (err: unknown) => {
          failure = err;
        },
      )
      .finally(channel.end);
    for await (const chunk of channel.chunks()) {
      if (!chunk) continue;
      count++;
      text += chunk;
      firstTokenMs ??= performance.now() - start;
      yield chunk;
    }
    if (failure !== null) throw failure;
    const used = l.sequence.tokenMeter.diff(before);
    return { text, tokens: { prompt: used.usedInputTokens, completion: used.usedOutputTokens }, ms: performance.now() - start, firstTokenMs, cached: false };
  } catch (err) {
    if (clock.expired) throw new LlmError("timeout", `node-llama-cpp (${path.basename(run.file)}) did not finish within ${limit} ms (timeoutMs); it had produced ${count} chunks`);
    throw err;
  } finally {
    clock.dispose(); // stops a generation the consumer walked away from
    await running; // the sequence is free only once llama.cpp has stopped
    release();
  }
}

function modelInfo(l: Loaded, file: string, identity: string, threads: number): ModelInfo {
  const meta = l.model.fileInfo.metadata as { general?: { architecture?: unknown; name?: unknown } };
  return {
    provider: "node-llama-cpp",
    model: file,
    identity,
    contextSize: l.context.contextSize,
    details: {
      path: file,
      sizeBytes: l.model.size,
      architecture: meta.general?.architecture,
      trainContextSize: l.model.trainContextSize,
      threads,
    },
  };
}

async function unload(l: Loaded): Promise<void> {
  l.completion.dispose();
  await l.context.dispose();
  await l.model.dispose();
}

export function createLlamaCppProvider(settings: LlamaCppSettings): Provider {
  const file = path.resolve(settings.modelPath);
  const threads = settings.threads ?? 1;
  const queue = createQueue(1); // one sequence: concurrent calls would interleave its state
  let loading: Promise<Loaded> | null = null;
  let identity: Promise<string> | null = null;

  function loaded(): Promise<Loaded> {
    loading ??= loadModel(file, threads, settings.contextSize);
    loading.catch(() => {
      loading = null; // the file may appear later
    });
    return loading;
  }

  const runner: LlamaRunner = { file, timeoutMs: settings.timeoutMs ?? 300_000, queue, loaded };
  const stream = (prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<string, Completion> => generate(runner, prompt, options);

  return {
    name: "node-llama-cpp",
    async info(): Promise<ModelInfo> {
      identity ??= ggufIdentity(file);
      identity.catch(() => {
        identity = null;
      });
      const l = await loaded();
      return modelInfo(l, file, await identity, threads);
    },
    async health(): Promise<Health> {
      const problem = await fileProblem(file);
      if (problem) return { ok: false, problem };
      try {
        await loaded();
        return { ok: true };
      } catch (err) {
        return { ok: false, problem: errorText(err) };
      }
    },
    stream,
    complete: (prompt, options) => drain(stream(prompt, options)),
    async close() {
      const release = await queue.acquire(); // let a running generation finish first
      try {
        const l = await loading?.catch(() => null);
        loading = null;
        if (l) await unload(l);
      } finally {
        release();
      }
    },
  };
}
