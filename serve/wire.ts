/**
 * The OpenAI chat-completions wire format, as far as `evolve serve` speaks it: a client's request
 * read into what the agent takes (the last user message is the request, earlier turns its history,
 * system messages its context), and the agent's answer written back as a completion, as stream
 * chunks, or as an error object. Tool-less from the client's side: the agent uses its own tools.
 * Pure; the client's body is untrusted, so every field is checked before use.
 */
import type { ChatMessage } from "../agent/llm/provider.js";
import { EvolveError } from "../kernel/errors.js";

/** What a refused request names: the field, as OpenAI's errors' `param` does (null for the whole body). */
export interface BadRequestData {
  param: string | null;
}

/** A request the client got wrong (`usage`, answered with status 400), naming the field. */
function bad(param: string | null, message: string): EvolveError<BadRequestData> {
  return new EvolveError("usage", message, { param });
}

/** What the agent runs for one chat-completions request. */
export interface ChatRequest {
  /** The last user message. */
  request: string;
  /** Earlier user and assistant turns, oldest first. */
  history: ChatMessage[];
  /** The client's system (or developer) messages, joined: the agent's `{{context}}`; undefined without any. */
  context?: string;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with token counts. */
  includeUsage: boolean;
  /** The client's `user` field: conversations with one user are judged together for "asked again". */
  user: string | null;
}

/** Text of a message's content: a string, or the text parts of an array (images and audio refused). */
function contentText(content: unknown, at: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw bad(`${at}.content`, `${at}.content must be a string or an array of text parts`);
  return content
    .map((part: unknown, i) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (p === null || typeof p !== "object" || p.type !== "text" || typeof p.text !== "string") {
        throw bad(`${at}.content[${i}]`, `${at}.content[${i}] must be {"type": "text", "text": "..."}: this agent reads text only`);
      }
      return p.text;
    })
    .join("");
}

/** Reads a parsed JSON body as a chat-completions request; throws `usage` naming the wrong field. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw bad(null, "the request body must be a JSON object");
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw bad("messages", "messages must be a non-empty array");
  if (b.stream !== undefined && typeof b.stream !== "boolean") throw bad("stream", "stream must be true or false");
  if (b.n !== undefined && b.n !== 1) throw bad("n", "n must be 1: the agent gives one answer per request");
  if (b.tools !== undefined && !(Array.isArray(b.tools) && b.tools.length === 0)) {
    throw bad("tools", "tools are not taken from clients: the agent uses its own tools");
  }
  if (b.user !== undefined && typeof b.user !== "string") throw bad("user", "user must be a string");
  const system: string[] = [];
  const turns: ChatMessage[] = [];
  b.messages.forEach((m: unknown, i) => {
    const at = `messages[${i}]`;
    const msg = m as { role?: unknown; content?: unknown } | null;
    if (msg === null || typeof msg !== "object") throw bad(at, `${at} must be an object with role and content`);
    if (msg.role === "system" || msg.role === "developer") system.push(contentText(msg.content, at));
    else if (msg.role === "user" || msg.role === "assistant") turns.push({ role: msg.role, content: contentText(msg.content ?? "", at) });
    else throw bad(`${at}.role`, `${at}.role must be system, developer, user or assistant, got ${JSON.stringify(msg.role)}`);
  });
  const last = turns.pop();
  if (last === undefined || last.role !== "user") throw bad("messages", "the last message (system messages aside) must be the user's request");
  if (last.content.trim() === "") throw bad("messages", "the user's request is empty");
  const options = b.stream_options as { include_usage?: unknown } | undefined;
  return {
    request: last.content,
    history: turns,
    ...(system.length > 0 ? { context: system.join("\n\n") } : {}),
    stream: b.stream === true,
    includeUsage: options !== null && typeof options === "object" && options.include_usage === true,
    user: typeof b.user === "string" && b.user !== "" ? b.user : null,
  };
}

/** Which generation answered, and the interaction it was recorded as (null when recording is off or failed). */
export interface Served {
  interaction: number | null;
  generation: number | null;
  commit: string;
}

/** Fields every completion and chunk carries. */
export interface Envelope {
  id: string;
  created: number;
  model: string;
  served: Served;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(tokens: { prompt: number; completion: number }): Usage {
  return { prompt_tokens: tokens.prompt, completion_tokens: tokens.completion, total_tokens: tokens.prompt + tokens.completion };
}

/** `evolve`: the extension field naming the interaction (for POST /v1/feedback) and the generation. */
function head(e: Envelope, object: string) {
  return { id: e.id, object, created: e.created, model: e.model, interaction_id: e.served.interaction, evolve: e.served };
}

/** A whole (non-streamed) answer. */
export function completionBody(e: Envelope, answer: string, usage: Usage) {
  return { ...head(e, "chat.completion"), choices: [{ index: 0, message: { role: "assistant", content: answer, refusal: null }, finish_reason: "stop", logprobs: null }], usage };
}

/** One streamed piece: the role first, then text deltas, then an empty delta with the finish reason. */
export function chunkBody(e: Envelope, delta: { role?: "assistant"; content?: string }, finish: "stop" | null) {
  return { ...head(e, "chat.completion.chunk"), choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
}

/** The usage chunk `stream_options.include_usage` asks for: no choices, token counts. */
export function usageChunkBody(e: Envelope, usage: Usage) {
  return { ...head(e, "chat.completion.chunk"), choices: [], usage };
}

/** OpenAI's error object, for a status reply and for an SSE error event alike. */
export function errorBody(type: string, message: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

/** One server-sent event carrying JSON. */
export function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** The stream's last line, as OpenAI ends every successful stream. */
export const SSE_DONE = "data: [DONE]\n\n";
