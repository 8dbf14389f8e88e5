/**
 * POST /v1/chat/completions: one request, answered by the generation current when it arrived and
 * recorded as an interaction whose id travels back in the `x-evolve-interaction` header and the
 * body's `interaction_id`. Streamed answers go out as SSE chunks while the model writes them; a
 * request that ends without an answer (the model failed, the answer broke off, the steps ran out)
 * ends its stream with an error event, never with a silently cut answer. A client that goes away
 * aborts the model call, and the interaction is recorded as ended with an error.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { Provider } from "../agent/llm/provider.js";
import { createRecorder } from "../agent/runtime/recorder.js";
import { runAgent, type AgentResult, type RunAgentOptions } from "../agent/runtime/run.js";
import type { InteractionStore } from "../interactions/index.js";
import { isEvolveError, type EvolveError } from "../kernel/errors.js";
import type { Sandbox } from "../sandbox/pool.js";
import type { GenerationSource, ServedGeneration } from "./generations.js";
import { sendJson } from "./http-io.js";
import { chunkBody, completionBody, errorBody, parseChatRequest, sse, SSE_DONE, usageChunkBody, usageOf, type ChatRequest, type Envelope } from "./wire.js";

/** What answering needs, fixed for the server's lifetime (the generation is looked up per request). */
export interface ChatDeps {
  generations: GenerationSource;
  provider: Provider;
  sandbox: Sandbox;
  /** Null when recording is off (`interactions.record: false`, or --no-record). */
  store: InteractionStore | null;
  model: { provider: string; name: string };
  /** The model's identity (a weights digest), asked once and kept. */
  identity: () => Promise<string | null>;
  /** One line for the server's log. */
  log: (line: string) => void;
}

/** How an error reads to an HTTP client: its status and OpenAI error type. */
export function httpErrorOf(err: unknown): { status: number; type: string; param: string | null } {
  if (!isEvolveError(err)) return { status: 500, type: "server_error", param: null };
  const data = err.data as { status?: unknown; param?: unknown };
  const param = typeof data.param === "string" ? data.param : null;
  if (err.code === "usage") return { status: typeof data.status === "number" ? data.status : 400, type: "invalid_request_error", param };
  if (err.code === "not-found") return { status: 404, type: "not_found_error", param };
  if (err.code === "model") return { status: 502, type: "model_error", param };
  return { status: 500, type: "server_error", param };
}

interface Outcome {
  result: AgentResult;
  recordError?: EvolveError;
}

function modelParams(g: ServedGeneration): Record<string, unknown> {
  const { temperature, topP, maxTokens, seed, maxSteps } = g.agent.params;
  return { temperature, maxTokens, maxSteps, ...(topP !== undefined ? { topP } : {}), ...(seed !== undefined ? { seed } : {}) };
}

/**
 * Starts the agent on the request; returns the run and its interaction id. The recorder writes the
 * request row synchronously when `run` is called, so the id is known before any answer text exists
 * and can go out in the response headers.
 */
function start(deps: ChatDeps, g: ServedGeneration, chat: ChatRequest, options: RunAgentOptions): { running: Promise<Outcome>; interaction: number | null } {
  if (deps.store === null) return { running: runAgent(options).then((result) => ({ result })), interaction: null };
  const recorder = createRecorder({
    store: deps.store,
    source: "serve",
    session: chat.user,
    commit: g.commit,
    generation: g.generation,
    model: { ...deps.model, params: modelParams(g) },
    identity: deps.identity,
  });
  const running = recorder.run(options);
  return { running, interaction: recorder.lastId };
}

/** Answers one chat-completions request whose body is already read. */
export async function handleChat(deps: ChatDeps, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const chat = parseChatRequest(body);
  const g = deps.generations.current();
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  const envelope: Envelope = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: g.config.agent.name, served: { interaction: null, generation: g.generation, commit: g.commit } };
  const write = (text: string): void => {
    if (!res.destroyed && !res.writableEnded) res.write(text);
  };
  const options: RunAgentOptions = {
    agent: g.agent,
    provider: deps.provider,
    sandbox: deps.sandbox,
    request: chat.request,
    history: chat.history,
    ...(chat.context !== undefined ? { context: chat.context } : {}),
    signal: abort.signal,
    ...(chat.stream ? { onToken: (t: string) => write(sse(chunkBody(envelope, { content: t }, null))) } : {}),
  };
  const started = start(deps, g, chat, options);
  envelope.served.interaction = started.interaction;
  const headers: Record<string, string> = { "x-evolve-generation": String(g.generation), "x-evolve-commit": g.commit };
  if (started.interaction !== null) headers["x-evolve-interaction"] = String(started.interaction);
  if (chat.stream) {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...headers });
    write(sse(chunkBody(envelope, { role: "assistant", content: "" }, null)));
  }
  let outcome: Outcome;
  try {
    outcome = await started.running;
  } catch (err) {
    if (abort.signal.aborted) return deps.log(`interaction ${started.interaction ?? "-"}: the client went away; the model call was stopped`);
    const e = httpErrorOf(err);
    const message = err instanceof Error ? err.message : String(err);
    deps.log(`interaction ${started.interaction ?? "-"}: ${message}`);
    if (!chat.stream) return sendJson(res, e.status, { ...errorBody(e.type, message, e.param), interaction_id: started.interaction }, headers);
    write(sse(errorBody(e.type, message, e.param)));
    res.end();
    return;
  }
  if (outcome.recordError) deps.log(`interaction ${started.interaction ?? "-"} answered but not recorded: ${outcome.recordError.message}`);
  finish(res, chat, envelope, outcome.result, headers);
}

/** The end of a request whose run settled: the answer, or an error naming why there is none. */
function finish(res: ServerResponse, chat: ChatRequest, envelope: Envelope, result: AgentResult, headers: Record<string, string>): void {
  const usage = usageOf(result.tokens);
  if (!chat.stream) {
    if (result.ok) return sendJson(res, 200, completionBody(envelope, result.answer!, usage), headers);
    return sendJson(res, 502, { ...errorBody("agent_error", `the agent gave no answer: ${result.reason ?? result.stop}`, null, result.stop), interaction_id: envelope.served.interaction }, headers);
  }
  if (res.destroyed || res.writableEnded) return;
  if (!result.ok) {
    res.end(sse(errorBody("agent_error", `the agent gave no answer: ${result.reason ?? result.stop}`, null, result.stop)));
    return;
  }
  res.write(sse(chunkBody(envelope, {}, "stop")));
  if (chat.includeUsage) res.write(sse(usageChunkBody(envelope, usage)));
  res.end(SSE_DONE);
}
