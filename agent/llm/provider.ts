/**
 * The contract every local model back-end implements. evolve talks to local models only: an in-process
 * GGUF file (node-llama-cpp), Ollama over HTTP, or an OpenAI-compatible server (LM Studio, vLLM,
 * llama.cpp server) on this machine or the private network.
 */
import { EvolveError } from "../../kernel/errors.js";

/** Back-ends a Provider can be. */
export const PROVIDER_NAMES = ["node-llama-cpp", "ollama", "openai"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** One turn of a conversation. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A plain prompt (text completion) or a conversation (chat). */
export type Prompt = string | readonly ChatMessage[];

/** Per-call generation settings. Unset fields take the back-end's own default. */
export interface GenerateOptions {
  temperature?: number;
  topP?: number;
  /** Upper bound on generated tokens. */
  maxTokens?: number;
  /** Generation ends before any of these strings; the stop string itself is not part of the text. */
  stop?: string[];
  seed?: number;
  /** JSON schema the output must match (structured output). */
  schema?: object;
  signal?: AbortSignal;
  /** Bound on the whole call (all retries included, queue wait excluded). */
  timeoutMs?: number;
}

/** What model answers, and a stable identity for caches. */
export interface ModelInfo {
  provider: string;
  model: string;
  /** Stable identity for caches: e.g. sha256 of the GGUF file, or provider+model+digest. */
  identity: string;
  contextSize?: number;
  details?: Record<string, unknown>;
}

/** A finished generation. */
export interface Completion {
  text: string;
  tokens: { prompt: number; completion: number };
  /** Wall time of the generation, from the moment it got its turn in the provider's queue. */
  ms: number;
  /** Time to the first text chunk; null when no text came. */
  firstTokenMs: number | null;
  /** True when the text came from a response cache rather than the model. */
  cached: boolean;
}

/** Result of a health check: either fine, or exactly what is wrong in one sentence. */
export type Health = { ok: true } | { ok: false; problem: string };

/** A local model back-end. */
export interface Provider {
  readonly name: ProviderName;
  info(): Promise<ModelInfo>;
  /**
   * Whether the provider can generate right now. The problem says exactly what is wrong, e.g.
   * "model file /x.gguf does not exist", "cannot connect to Ollama at http://127.0.0.1:11434
   * (ECONNREFUSED)", "model llama3 is not pulled: run `ollama pull llama3`".
   */
  health(): Promise<Health>;
  /**
   * Streams text chunks; the final value is the Completion. The provider's queue slot is held until
   * the generator finishes, so consume it to the end or call `return()` (a `for await` + `break` does).
   */
  stream(prompt: Prompt, options?: GenerateOptions): AsyncGenerator<string, Completion>;
  complete(prompt: Prompt, options?: GenerateOptions): Promise<Completion>;
  /** Models the back-end can serve (HTTP providers); used by `doctor`. */
  listModels?(): Promise<string[]>;
  close(): Promise<void>;
}

/** Runs a stream to its end and returns its Completion. */
export async function drain(gen: AsyncGenerator<string, Completion>): Promise<Completion> {
  for (;;) {
    const step = await gen.next();
    if (step.done) return step.value;
  }
}

/** Any failure of a provider: a message that says what went wrong, where, and what to do. */
export class LlmError extends EvolveError<{ kind: LlmErrorKind; status?: number; serverMessage?: string }> {
  /** Broad category, for callers that react differently (retry, tell the user to pull a model, ...). */
  readonly kind: LlmErrorKind;
  /** HTTP status when a server answered with an error. */
  readonly status?: number;
  /**
   * @param options.serverMessage the server's own words from an error body: some servers say what
   * went wrong (Ollama: "model 'x' not found") only there, so callers may read it; never the message.
   */
  constructor(kind: LlmErrorKind, message: string, options?: { cause?: unknown; status?: number; serverMessage?: string }) {
    // Wrong settings (a refused remote URL included) are the user's input; the rest is a failed job.
    const data = {
      kind,
      ...(options?.status === undefined ? {} : { status: options.status }),
      ...(options?.serverMessage === undefined ? {} : { serverMessage: options.serverMessage }),
    };
    super(kind === "config" || kind === "remote" ? "model-config" : "model", message, data, options);
    this.name = "LlmError";
    this.kind = kind;
    if (options?.status !== undefined) this.status = options.status;
  }
}

/**
 * - `connect`: the server could not be reached. `http`: it answered with an error status.
 * - `timeout`: timeoutMs passed. `stream`: the answer broke off or was malformed.
 * - `model`: the model is missing (file, or not pulled/served). `remote`: a non-local base URL was refused.
 * - `config`: settings are wrong or incomplete.
 */
export type LlmErrorKind = "connect" | "http" | "timeout" | "stream" | "model" | "remote" | "config";

/** Plain text of any thrown value, for one-line problems. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
