/**
 * The streaming loop both HTTP providers share: wait for a queue slot, send with retries, read the
 * stream, and turn every way it can go wrong into one clear error. A partial answer is never
 * returned as if it were whole.
 */
import { type Deadline, type HttpSettings, deadline, ndjson, request, sseData } from "./http.js";
import { type Completion, type GenerateOptions, LlmError, errorText } from "./provider.js";
import type { Queue } from "./queue.js";

/** What one streamed message contributes. */
export interface StreamStep {
  text?: string;
  /** This is the server's last message. */
  done?: boolean;
  /** The answer is whole (e.g. a finish_reason); other messages may follow, but a clean end of stream is no longer an error. */
  whole?: boolean;
  /** The server counted tokens (Ollama's final message, OpenAI's usage chunk). */
  usage?: { prompt?: number; completion?: number };
  /** The server reported an error inside the stream. */
  error?: string;
}

export interface HttpCompletionCall {
  server: string;
  method: "POST";
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  format: "ndjson" | "sse";
  /** Interprets one message (parsed JSON; for SSE the literal "[DONE]" is handled here). */
  read(message: unknown): StreamStep;
  /** Called once before the request, inside the deadline (e.g. the DNS check of the host). */
  before?(): Promise<void>;
  options: GenerateOptions;
  http: HttpSettings;
  queue: Queue;
}

/** Decodes SSE data payloads as JSON, mapping the terminating "[DONE]" to a done marker. */
async function* sseJson(body: ReadableStream<Uint8Array>, server: string): AsyncGenerator<unknown> {
  let n = 0;
  for await (const data of sseData(body)) {
    n++;
    if (data.trim() === "[DONE]") {
      yield DONE;
      continue;
    }
    try {
      yield JSON.parse(data);
    } catch (err) {
      throw new LlmError("stream", `${server} sent a malformed event ${n} in its stream (${errorText(err)}): ${data.slice(0, 120)}`);
    }
  }
}

const DONE = Symbol("[DONE]");

export async function* httpCompletion(call: HttpCompletionCall): AsyncGenerator<string, Completion> {
  const { server, options } = call;
  const release = await call.queue.acquire(options.signal);
  const timeoutMs = options.timeoutMs ?? call.http.timeoutMs;
  const clock: Deadline = deadline(timeoutMs, options.signal);
  const start = performance.now();
  let firstTokenMs: number | null = null;
  let chunks = 0;
  let text = "";
  let usage: StreamStep["usage"] = {};
  let done = false;
  let whole = false;
  let phase: "connect" | "stream" = "connect";

  const timeoutError = (): LlmError =>
    new LlmError(
      "timeout",
      phase === "connect"
        ? `${server} did not answer within ${timeoutMs} ms (timeoutMs)`
        : `${server} did not finish within ${timeoutMs} ms (timeoutMs); it had sent ${chunks} tokens`,
    );

  try {
    await call.before?.();
    const res = await request({
      server,
      method: call.method,
      url: call.url,
      body: call.body,
      ...(call.headers ? { headers: call.headers } : {}),
      signal: clock.signal,
      retries: call.http.retries,
      backoffMs: call.http.backoffMs,
    });
    if (!res.body) throw new LlmError("stream", `${server} answered ${call.method} ${new URL(call.url).pathname} with no body`);
    phase = "stream";
    const messages = call.format === "ndjson" ? ndjson(res.body, server) : sseJson(res.body, server);
    try {
      for await (const message of messages) {
        const step: StreamStep = message === DONE ? { done: true } : call.read(message);
        if (step.error !== undefined) throw new LlmError("stream", `${server} reported an error after ${chunks} tokens: ${step.error}`);
        if (step.whole) whole = true;
        if (step.usage) usage = { ...usage, ...step.usage };
        if (step.text) {
          chunks++;
          text += step.text;
          firstTokenMs ??= performance.now() - start;
          yield step.text;
        }
        if (step.done) {
          done = true;
          break;
        }
      }
    } catch (err) {
      if (err instanceof LlmError || clock.signal.aborted) throw err;
      throw new LlmError("stream", `${server} closed the stream after ${chunks} tokens (${errorText((err as { cause?: unknown }).cause ?? err)}); the partial answer was discarded`, { cause: err });
    }
    if (!done && !whole) throw new LlmError("stream", `${server} ended the stream after ${chunks} tokens without its final message; the partial answer was discarded`);
    return {
      text,
      tokens: { prompt: usage.prompt ?? 0, completion: usage.completion ?? chunks },
      ms: performance.now() - start,
      firstTokenMs,
      cached: false,
    };
  } catch (err) {
    if (clock.expired) throw timeoutError();
    throw err;
  } finally {
    clock.dispose(); // also cancels the body when the consumer stopped early
    release();
  }
}
