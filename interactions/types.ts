/**
 * What the interaction store keeps: one row per request the agent served, its tool calls and the
 * feedback it got. These types are the store's public contract, shared by the recorder, the
 * commands and (later) the server.
 */

/** Where a request came from. */
export type InteractionSource = "ask" | "chat" | "serve";

/**
 * How an interaction ended. `in-flight` until it completes; `interrupted` is how a reader shows an
 * in-flight row whose process is gone (killed mid-answer): that row is never completed.
 */
export type InteractionStatus = "in-flight" | "interrupted" | "answered" | "no-answer" | "error";

/**
 * Why an interaction has no answer: the model's reply was refused until the steps ran out
 * (`max-steps`), its streamed answer broke off (`broke-off`), the sandbox failed, the model or its
 * server failed (`model`, with `timeout` split out), or anything else (`internal`).
 */
export type InteractionErrorKind = "max-steps" | "broke-off" | "sandbox" | "model" | "timeout" | "internal";

/** The model that served an interaction. */
export interface ModelRecord {
  provider: string;
  /** Model name, or the GGUF path. */
  name: string;
  /** Stable identity (weights digest) when known. */
  identity: string | null;
  /** Generation parameters (temperature, topP, maxTokens, seed, maxSteps). */
  params: Record<string, unknown>;
}

/** What is known when a request arrives: written first, so a crash loses at most the answer. */
export interface InteractionStart {
  source: InteractionSource;
  /** A chat's (or a server connection's) id, so "asked again" is judged within one conversation. */
  session: string | null;
  request: string;
  model: ModelRecord;
  /** The agent's genome commit (HEAD when the request was served). */
  commit: string | null;
  /** The generation number that commit belongs to (its latest Evolve-Generation trailer). */
  generation: number | null;
  /** Epoch ms; default now. */
  at?: number;
  /** The serving process, so readers can tell an interrupted row from one in flight. */
  pid?: number;
}

/** One tool call as recorded (texts capped, see limits.ts). */
export interface ToolCallRecord {
  name: string;
  /** The arguments as JSON text. */
  args: string;
  ok: boolean;
  /** The result as the model saw it (ok) or the error message (failed). */
  result: string;
  /** The sandbox's failure kind (`throw`, `timeout`, ...), null when ok. */
  failureKind: string | null;
  ms: number;
}

/** What is known when the request is over. */
export interface InteractionEnd {
  status: "answered" | "no-answer" | "error";
  answer: string | null;
  errorKind: InteractionErrorKind | null;
  /** One line: why there is no answer. */
  error: string | null;
  toolCalls: readonly ToolCallRecord[];
  /** Model replies, tool calls included. */
  steps: number;
  /** Replies refused as invalid (schema, JSON). */
  refusals: number;
  /** From the request's arrival to the first answer chunk shown; null when none was shown. */
  firstTokenMs: number | null;
  totalMs: number;
  /** Time spent in the model. */
  modelMs: number;
  tokensIn: number;
  tokensOut: number;
  /** The model's identity, when it became known only during the request. */
  modelIdentity?: string | null;
  /** Epoch ms; default now. */
  at?: number;
}

/** Whether feedback was given by a person or inferred from what happened. */
export type FeedbackSource = "explicit" | "implicit";

/** Explicit: good, bad, rating. Implicit: the signal that was observed. */
export type FeedbackSignal = "good" | "bad" | "rating" | "tool-failure" | "timeout" | "refused" | "max-steps" | "asked-again";

export const IMPLICIT_SIGNALS = ["tool-failure", "timeout", "refused", "max-steps", "asked-again"] as const satisfies readonly FeedbackSignal[];

/** Feedback to store. A rating is 1..5; good is stored as 5 and bad as 1, so satisfaction is one scale. */
export interface FeedbackInput {
  source: FeedbackSource;
  signal: FeedbackSignal;
  rating?: number | null;
  /** The answer that was expected (explicit bad). */
  expected?: string | null;
  note?: string | null;
  at?: number;
}

export interface FeedbackRecord {
  id: number;
  interactionId: number;
  at: number;
  source: FeedbackSource;
  signal: FeedbackSignal;
  rating: number | null;
  expected: string | null;
  note: string | null;
}

/** A recorded interaction in full. Text fields are as stored (capped); `*Chars` give the original lengths. */
export interface Interaction {
  id: number;
  source: InteractionSource;
  session: string | null;
  startedAt: number;
  finishedAt: number | null;
  status: InteractionStatus;
  request: string;
  requestChars: number;
  answer: string | null;
  answerChars: number | null;
  errorKind: InteractionErrorKind | null;
  error: string | null;
  model: ModelRecord;
  commit: string | null;
  generation: number | null;
  firstTokenMs: number | null;
  totalMs: number | null;
  modelMs: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  steps: number | null;
  refusals: number | null;
  /** The latest explicit rating (1..5), null when no person rated it. */
  rating: number | null;
  toolCalls: ToolCallRecord[];
  feedback: FeedbackRecord[];
}

/** One line of `evolve interactions`. */
export interface InteractionSummary {
  id: number;
  source: InteractionSource;
  startedAt: number;
  status: InteractionStatus;
  request: string;
  answer: string | null;
  errorKind: InteractionErrorKind | null;
  generation: number | null;
  totalMs: number | null;
  toolCalls: number;
  toolFailures: number;
  rating: number | null;
  /** Feedback signals, explicit and implicit, in the order given. */
  signals: FeedbackSignal[];
}

/**
 * One completed interaction as live metrics see it; the store hands them out by column
 * (MetricColumns, toColumns) so statistics over 100,000 of them stay fast.
 */
export interface MetricRow {
  startedAt: number;
  generation: number | null;
  status: "answered" | "no-answer" | "error";
  totalMs: number;
  firstTokenMs: number | null;
  modelMs: number;
  tokensOut: number;
  rating: number | null;
  askedAgain: boolean;
}
