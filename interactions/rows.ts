/**
 * Between SQLite rows and the store's types: row shapes and the mapping both ways, so the store itself
 * reads as what it does. Every text written is capped here (limits.ts), every number cleaned. An
 * in-flight row whose process is gone reads as `interrupted`.
 */
import { LIMITS, cap, capOrNull, cleanCount, cleanMs } from "./limits.js";
import type {
  FeedbackInput,
  FeedbackRecord,
  FeedbackSignal,
  FeedbackSource,
  Interaction,
  InteractionEnd,
  InteractionErrorKind,
  InteractionSource,
  InteractionStart,
  InteractionStatus,
  InteractionSummary,
  ToolCallRecord,
} from "./types.js";

/** An in-flight row older than this is interrupted whatever its pid says (pids are reused). */
const IN_FLIGHT_MAX_MS = 24 * 3600_000;

export interface InteractionRow {
  id: number;
  source: string;
  session: string | null;
  pid: number | null;
  started_at: number;
  finished_at: number | null;
  status: string;
  request: string;
  request_chars: number;
  answer: string | null;
  answer_chars: number | null;
  error_kind: string | null;
  error: string | null;
  model_provider: string;
  model_name: string;
  model_identity: string | null;
  model_params: string;
  commit_oid: string | null;
  generation: number | null;
  first_token_ms: number | null;
  total_ms: number | null;
  model_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  steps: number | null;
  refusals: number | null;
  rating: number | null;
}

export interface ToolCallRow {
  name: string;
  args: string;
  ok: number;
  result: string;
  failure_kind: string | null;
  ms: number | null;
}

export interface FeedbackRow {
  id: number;
  interaction_id: number;
  at: number;
  source: string;
  signal: string;
  rating: number | null;
  expected: string | null;
  note: string | null;
}

export interface SummaryRow {
  id: number;
  source: string;
  pid: number | null;
  started_at: number;
  status: string;
  request: string;
  answer: string | null;
  error_kind: string | null;
  generation: number | null;
  total_ms: number | null;
  rating: number | null;
  tool_calls: number;
  tool_failures: number;
  signals: string | null;
}

/** Whether a process with this pid is running (EPERM: it is, but not ours). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/** The status a reader should see. */
export function readStatus(status: string, pid: number | null, startedAt: number, now = Date.now()): InteractionStatus {
  if (status !== "in-flight") return status as InteractionStatus;
  if (now - startedAt > IN_FLIGHT_MAX_MS) return "interrupted";
  return pid !== null && !alive(pid) ? "interrupted" : "in-flight";
}

export function toToolCall(r: ToolCallRow): ToolCallRecord {
  return { name: r.name, args: r.args, ok: r.ok === 1, result: r.result, failureKind: r.failure_kind, ms: r.ms ?? 0 };
}

export function toFeedback(r: FeedbackRow): FeedbackRecord {
  return {
    id: r.id,
    interactionId: r.interaction_id,
    at: r.at,
    source: r.source as FeedbackSource,
    signal: r.signal as FeedbackSignal,
    rating: r.rating,
    expected: r.expected,
    note: r.note,
  };
}

function parseParams(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function toInteraction(r: InteractionRow, toolCalls: ToolCallRecord[], feedback: FeedbackRecord[]): Interaction {
  return {
    id: r.id,
    source: r.source as InteractionSource,
    session: r.session,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: readStatus(r.status, r.pid, r.started_at),
    request: r.request,
    requestChars: r.request_chars,
    answer: r.answer,
    answerChars: r.answer_chars,
    errorKind: r.error_kind as InteractionErrorKind | null,
    error: r.error,
    model: { provider: r.model_provider, name: r.model_name, identity: r.model_identity, params: parseParams(r.model_params) },
    commit: r.commit_oid,
    generation: r.generation,
    firstTokenMs: r.first_token_ms,
    totalMs: r.total_ms,
    modelMs: r.model_ms,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
    steps: r.steps,
    refusals: r.refusals,
    rating: r.rating,
    toolCalls,
    feedback,
  };
}

export function toSummary(r: SummaryRow): InteractionSummary {
  return {
    id: r.id,
    source: r.source as InteractionSource,
    startedAt: r.started_at,
    status: readStatus(r.status, r.pid, r.started_at),
    request: r.request,
    answer: r.answer,
    errorKind: r.error_kind as InteractionErrorKind | null,
    generation: r.generation,
    totalMs: r.total_ms,
    toolCalls: r.tool_calls,
    toolFailures: r.tool_failures,
    rating: r.rating,
    signals: r.signals ? (r.signals.split(",") as FeedbackSignal[]) : [],
  };
}

/** The row a request starts as. */
export function beginRow(start: InteractionStart) {
  return {
    source: start.source,
    session: start.session,
    pid: start.pid ?? process.pid,
    started_at: start.at ?? Date.now(),
    request: cap(start.request, LIMITS.request),
    request_chars: start.request.length,
    model_provider: cap(start.model.provider, LIMITS.label),
    model_name: cap(start.model.name, LIMITS.label),
    model_identity: capOrNull(start.model.identity, LIMITS.label),
    model_params: cap(JSON.stringify(start.model.params ?? {}), LIMITS.params),
    commit_oid: start.commit,
    generation: Number.isInteger(start.generation) ? start.generation : null,
  };
}

/** The columns a finished request sets. */
export function completeRow(id: number, end: InteractionEnd, at: number) {
  return {
    id,
    finished_at: at,
    status: end.status,
    answer: capOrNull(end.answer, LIMITS.answer),
    answer_chars: end.answer === null ? null : end.answer.length,
    error_kind: end.errorKind,
    error: capOrNull(end.error, LIMITS.error),
    identity: end.modelIdentity === undefined ? null : capOrNull(end.modelIdentity, LIMITS.label),
    first_token_ms: cleanMs(end.firstTokenMs),
    total_ms: cleanMs(end.totalMs) ?? 0,
    model_ms: cleanMs(end.modelMs) ?? 0,
    tokens_in: cleanCount(end.tokensIn),
    tokens_out: cleanCount(end.tokensOut),
    steps: cleanCount(end.steps),
    refusals: cleanCount(end.refusals),
  };
}

export function toolRow(id: number, seq: number, t: ToolCallRecord) {
  return {
    interaction_id: id,
    seq,
    name: cap(t.name, LIMITS.label),
    args: cap(t.args, LIMITS.toolArgs),
    ok: t.ok ? 1 : 0,
    result: cap(t.result, LIMITS.toolResult),
    failure_kind: capOrNull(t.failureKind, LIMITS.label),
    ms: cleanMs(t.ms),
  };
}

export function feedbackRow(id: number, f: FeedbackInput, at: number) {
  return {
    interaction_id: id,
    at: f.at ?? at,
    source: f.source,
    signal: f.signal,
    rating: f.rating ?? null,
    expected: capOrNull(f.expected, LIMITS.expected),
    note: capOrNull(f.note, LIMITS.note),
  };
}
