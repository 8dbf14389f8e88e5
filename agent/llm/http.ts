/**
 * HTTP plumbing shared by the Ollama and OpenAI-compatible providers: deadlines, retries with
 * exponential backoff before any byte of an answer arrived, and the two streaming wire formats
 * (NDJSON lines, server-sent events).
 */
import { LlmError, errorText } from "./provider.js";

/** How hard to try. */
export interface HttpSettings {
  /** Default deadline of one call (a generation may be long on a CPU). */
  timeoutMs: number;
  /** Extra attempts after a connection error or a 5xx/429 status. */
  retries: number;
  /** First backoff; doubles on every retry. */
  backoffMs: number;
}

export const DEFAULT_HTTP: HttpSettings = Object.freeze({ timeoutMs: 300_000, retries: 3, backoffMs: 250 });

/** A deadline joined with the caller's signal. `expired` tells a timeout from the caller aborting. */
export interface Deadline {
  signal: AbortSignal;
  readonly expired: boolean;
  /** Aborts the call (e.g. the consumer stopped reading) and clears the timer. */
  dispose(): void;
}

export function deadline(timeoutMs: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onOuter = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener("abort", onOuter, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuter);
      if (!controller.signal.aborted) controller.abort(new Error("call finished"));
    },
  };
}

/** One request. `server` names the peer in every error, e.g. "Ollama at http://127.0.0.1:11434". */
export interface RequestSpec {
  server: string;
  method: "GET" | "POST";
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal: AbortSignal;
  retries: number;
  backoffMs: number;
}

/** The code of a network error (ECONNREFUSED, ENOTFOUND, ...) buried in fetch's causes. */
export function networkCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const rec = e as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof rec.code === "string" && !rec.code.startsWith("UND_ERR_")) return rec.code;
    if (Array.isArray(rec.errors) && rec.errors.length) e = rec.errors[0];
    else e = rec.cause;
  }
  return errorText((err as { cause?: unknown }).cause ?? err);
}

const retryable = (status: number): boolean => status >= 500 || status === 429;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The server's own words from an error body: Ollama's `{error}`, OpenAI's `{error:{message}}`, or text. */
export function errorBodyMessage(text: string): string {
  try {
    const data = JSON.parse(text) as { error?: unknown; message?: unknown };
    const e = data.error;
    if (typeof e === "string") return e;
    if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string") return (e as { message: string }).message;
    if (typeof data.message === "string") return data.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  const t = text.trim();
  return t.length > 300 ? `${t.slice(0, 300)}...` : t || "(empty body)";
}

/**
 * Sends a request, retrying connection errors and 5xx/429 answers with exponential backoff (a
 * Retry-After header, when shorter than 10 s, replaces the computed wait). Resolves with a 2xx
 * response whose body is unread; throws LlmError("connect" | "http") otherwise. Aborts propagate as
 * the signal's reason.
 */
export async function request(spec: RequestSpec): Promise<Response> {
  const path = new URL(spec.url).pathname;
  for (let attempt = 0; ; attempt++) {
    let wait = spec.backoffMs * 2 ** attempt;
    let failure: LlmError;
    try {
      const res = await fetch(spec.url, {
        method: spec.method,
        headers: { accept: "application/json, text/event-stream, application/x-ndjson", ...(spec.body === undefined ? {} : { "content-type": "application/json" }), ...spec.headers },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: spec.signal,
      });
      if (res.ok) return res;
      const message = errorBodyMessage(await res.text().catch(() => ""));
      failure = new LlmError("http", `${spec.server} answered ${res.status} to ${spec.method} ${path}: ${message}`, { status: res.status, serverMessage: message });
      if (!retryable(res.status)) throw failure;
      const after = Number(res.headers.get("retry-after"));
      if (Number.isFinite(after) && after > 0 && after <= 10) wait = after * 1000;
    } catch (err) {
      if (spec.signal.aborted) throw spec.signal.reason;
      if (err instanceof LlmError) throw err;
      failure = new LlmError("connect", `cannot connect to ${spec.server} (${networkCode(err)})`, { cause: err });
    }
    if (attempt >= spec.retries) {
      if (spec.retries > 0) failure.message += ` [gave up after ${attempt + 1} attempts]`;
      throw failure;
    }
    await sleep(wait, spec.signal);
  }
}

/** Decodes a byte stream into lines (without their end-of-line), the last one even if unterminated. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
    }
  }
  buffer += decoder.decode();
  if (buffer) yield buffer.replace(/\r$/, "");
}

/** Parses newline-delimited JSON; a malformed line is an error naming its line number. */
export async function* ndjson(body: ReadableStream<Uint8Array>, server: string): AsyncGenerator<unknown> {
  let n = 0;
  for await (const line of lines(body)) {
    n++;
    if (!line.trim()) continue;
    try {
      yield JSON.parse(line);
    } catch (err) {
      throw new LlmError("stream", `${server} sent a malformed line ${n} in its stream (${errorText(err)}): ${line.slice(0, 120)}`);
    }
  }
}

/**
 * Parses server-sent events and yields the data of each event (multi-line data joined by "\n").
 * Comments (":" lines) and other fields are skipped.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let data: string[] = [];
  for await (const line of lines(body)) {
    if (line === "") {
      if (data.length) yield data.join("\n");
      data = [];
    } else if (line.startsWith("data:")) {
      data.push(line.slice(line[5] === " " ? 6 : 5));
    }
  }
  if (data.length) yield data.join("\n");
}
