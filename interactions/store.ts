/**
 * The interaction store: every request the agent served, its tool calls and its feedback, in an
 * embedded SQLite database inside the workspace's git directory (never in its tree).
 *
 * Made for several writers at once (a chat, a run, a server): each call is one short transaction and
 * a writer waits for another's (busy timeout) instead of failing. A request is written when it
 * arrives and completed when it ends, so a process killed mid-answer loses only that answer; its row
 * reads as `interrupted`. The connection is opened once and its statements prepared once, so a
 * long-running process pays per call only for the write itself. Calls are synchronous.
 */
import { EvolveError } from "../kernel/errors.js";
import { LIMITS } from "./limits.js";
import { connect, storageError, type Db } from "./sqlite.js";
import { beginRow, completeRow, feedbackRow, toFeedback, toInteraction, toSummary, toToolCall, toolRow, type FeedbackRow, type InteractionRow, type SummaryRow, type ToolCallRow } from "./rows.js";
import { allocateColumns, type MetricColumns } from "./columns.js";
import type { FeedbackInput, FeedbackRecord, Interaction, InteractionEnd, InteractionSource, InteractionStart, InteractionSummary } from "./types.js";

export interface ListQuery {
  /** Epoch ms: only interactions started at or after it. */
  since?: number;
  /** Newest first, at most this many (default 100). */
  limit?: number;
}

/** The previous interaction of a conversation, for "asked again". */
export interface PreviousInteraction {
  id: number;
  request: string;
  endedAt: number;
}

export interface PurgeResult {
  deleted: number;
  /** False when the space could not be compacted (another process held the database); the rows are gone either way. */
  vacuumed: boolean;
}

export interface InteractionStore {
  readonly path: string;
  /** Records a request as it arrives; returns its id. */
  begin(start: InteractionStart): number;
  /** Completes an in-flight interaction with how it ended and its implicit feedback, in one transaction. */
  complete(id: number, end: InteractionEnd, implicit?: readonly FeedbackInput[]): void;
  addFeedback(id: number, input: FeedbackInput): FeedbackRecord;
  /** One interaction in full; `not-found` (saying whether it was purged) when absent. */
  get(id: number): Interaction;
  list(query?: ListQuery): InteractionSummary[];
  /** Completed interactions by column, for live metrics (in-flight and interrupted ones are not measured). */
  metricColumns(query?: { since?: number; until?: number }): MetricColumns;
  /** The commits that served each generation's completed interactions in the window. */
  servedBy(query?: { since?: number; until?: number }): Map<number, string[]>;
  /** The newest completed interaction of the same source and session that ended at or after `since`. */
  previous(source: InteractionSource, session: string | null, since: number): PreviousInteraction | null;
  /** Deletes every interaction started before `before` (epoch ms), then compacts the file. */
  purgeBefore(before: number): PurgeResult;
  /** Runs `fn` in one transaction (bulk imports, benchmarks). */
  batch<T>(fn: () => T): T;
  close(): void;
}

export interface StoreOptions {
  /** Create the database when missing (writers); readers pass false and get null for a missing file. */
  create?: boolean;
  busyTimeoutMs?: number;
  /** Size cap of the database file (config interactions.maxSizeMb); writes past it are refused like a full disk. */
  maxBytes?: number;
}

/** Opens the store at `file`; null when it does not exist and `create` is false. */
export function openInteractionStore(file: string, options: StoreOptions = {}): InteractionStore | null {
  const busy = options.busyTimeoutMs;
  const db = connect(file, { create: options.create ?? true, ...(busy !== undefined ? { busyTimeoutMs: busy } : {}), ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) });
  if (db === null) return null;
  try {
    return createStore(db, file, busy, options.maxBytes);
  } catch (err) {
    db.close();
    throw storageError(err, file, "preparing it", busy);
  }
}

/** Runs a store call, turning what SQLite throws into one-line EvolveErrors. */
type Guard = <T>(doing: string, fn: () => T) => T;

function makeGuard(db: Db, file: string, busyTimeoutMs: number | undefined, maxBytes: number | undefined): Guard {
  return (doing, fn) => {
    try {
      return fn();
    } catch (err) {
      if (maxBytes !== undefined && (err as { code?: unknown }).code === "SQLITE_FULL" && atSizeLimit(db, maxBytes)) {
        const mb = Math.round((maxBytes / 1048576) * 100) / 100;
        throw new EvolveError("storage", `the interaction store ${file} reached its size limit of ${mb} MB (interactions.maxSizeMb) while ${doing}; purge old interactions (evolve interactions purge --before DATE) or raise the limit`, { path: file, sqlite: "SQLITE_FULL", maxBytes });
      }
      throw storageError(err, file, doing, busyTimeoutMs);
    }
  };
}

function createStore(db: Db, file: string, busyTimeoutMs: number | undefined, maxBytes: number | undefined): InteractionStore {
  const s = statements(db);
  const guard = makeGuard(db, file, busyTimeoutMs, maxBytes);
  // IMMEDIATE: take the write lock at the start, so the busy timeout applies instead of a deadlock.
  const write = <A extends unknown[], T>(doing: string, fn: (...args: A) => T) => {
    const tx = db.transaction(fn);
    return (...args: A): T => guard(doing, () => tx.immediate(...args));
  };
  const missing = (id: number): EvolveError => notFound(s, id);
  const insertFeedback = (id: number, f: FeedbackInput, at: number): FeedbackRecord => {
    const row = feedbackRow(id, f, at);
    const fid = Number(s.insertFeedback.run(row).lastInsertRowid);
    s.noteFeedback.run({ id, rating: f.source === "explicit" ? row.rating : null, asked: f.signal === "asked-again" ? 1 : 0 });
    return toFeedback({ id: fid, ...row });
  };

  const complete = write("recording an answer", (id: number, end: InteractionEnd, implicit: readonly FeedbackInput[] = []): void => {
    const at = end.at ?? Date.now();
    if (s.complete.run(completeRow(id, end, at)).changes === 0) {
      if (s.exists.get(id) === undefined) throw missing(id);
      throw new EvolveError("internal", `interaction ${id} was already completed`, { id });
    }
    end.toolCalls.slice(0, LIMITS.toolCalls).forEach((t, seq) => s.insertTool.run(toolRow(id, seq, t)));
    for (const f of implicit) insertFeedback(id, f, at);
  });

  const addFeedback = write("recording feedback", (id: number, input: FeedbackInput): FeedbackRecord => {
    const row = s.exists.get(id) as { feedback_count: number } | undefined;
    if (row === undefined) throw missing(id);
    if (row.feedback_count >= LIMITS.feedbackPerInteraction) {
      throw new EvolveError("usage", `interaction ${id} already has ${row.feedback_count} feedback entries (at most ${LIMITS.feedbackPerInteraction})`, { id });
    }
    return insertFeedback(id, input, Date.now());
  });

  return {
    path: file,
    begin: write("recording a request", (start: InteractionStart): number => Number(s.begin.run(beginRow(start)).lastInsertRowid)),
    complete,
    addFeedback,
    get: (id) =>
      guard("reading an interaction", () => {
        const row = s.get.get(id) as InteractionRow | undefined;
        if (row === undefined) throw missing(id);
        const tools = (s.tools.all(id) as ToolCallRow[]).map(toToolCall);
        return toInteraction(row, tools, (s.feedbackOf.all(id) as FeedbackRow[]).map(toFeedback));
      }),
    list: (q = {}) => guard("listing interactions", () => (s.list.all({ since: q.since ?? 0, limit: q.limit ?? 100 }) as SummaryRow[]).map(toSummary)),
    metricColumns: (q = {}) => guard("reading metrics", () => metricColumns(s, q.since ?? 0, q.until ?? Number.MAX_SAFE_INTEGER)),
    servedBy: (q = {}) =>
      guard("reading metrics", () => {
        const out = new Map<number, string[]>();
        for (const [g, commit] of s.servedBy.all(q.since ?? 0, q.until ?? Number.MAX_SAFE_INTEGER) as [number, string][]) out.set(g, [...(out.get(g) ?? []), commit]);
        return out;
      }),
    previous: (source, session, since) =>
      guard("reading the conversation", () => {
        const r = s.previous.get({ source, session, since }) as { id: number; request: string; ended_at: number } | undefined;
        return r === undefined ? null : { id: r.id, request: r.request, endedAt: r.ended_at };
      }),
    purgeBefore: (before) => purge(db, s, file, before, busyTimeoutMs),
    batch: (fn) => guard("writing a batch", () => db.transaction(fn).immediate()),
    close: () => db.close(),
  };
}

/** Whether the file is within a few pages of the configured cap (rather than the disk being full). */
function atSizeLimit(db: Db, maxBytes: number): boolean {
  try {
    const page = db.pragma("page_size", { simple: true }) as number;
    const count = db.pragma("page_count", { simple: true }) as number;
    return (count + 4) * page >= maxBytes;
  } catch {
    return false;
  }
}

function statements(db: Db) {
  return {
    begin: db.prepare(`INSERT INTO interactions (source, session, pid, started_at, status, request, request_chars, model_provider, model_name, model_identity, model_params, commit_oid, generation)
      VALUES (@source, @session, @pid, @started_at, 'in-flight', @request, @request_chars, @model_provider, @model_name, @model_identity, @model_params, @commit_oid, @generation)`),
    complete: db.prepare(`UPDATE interactions SET finished_at = @finished_at, status = @status, answer = @answer, answer_chars = @answer_chars, error_kind = @error_kind,
      error = @error, model_identity = coalesce(@identity, model_identity), first_token_ms = @first_token_ms, total_ms = @total_ms, model_ms = @model_ms,
      tokens_in = @tokens_in, tokens_out = @tokens_out, steps = @steps, refusals = @refusals WHERE id = @id AND status = 'in-flight'`),
    insertTool: db.prepare(`INSERT INTO tool_calls (interaction_id, seq, name, args, ok, result, failure_kind, ms) VALUES (@interaction_id, @seq, @name, @args, @ok, @result, @failure_kind, @ms)`),
    insertFeedback: db.prepare(`INSERT INTO feedback (interaction_id, at, source, signal, rating, expected, note) VALUES (@interaction_id, @at, @source, @signal, @rating, @expected, @note)`),
    noteFeedback: db.prepare(`UPDATE interactions SET rating = coalesce(@rating, rating), asked_again = max(asked_again, @asked), feedback_count = feedback_count + 1 WHERE id = @id`),
    exists: db.prepare(`SELECT feedback_count FROM interactions WHERE id = ?`),
    get: db.prepare(`SELECT * FROM interactions WHERE id = ?`),
    tools: db.prepare(`SELECT name, args, ok, result, failure_kind, ms FROM tool_calls WHERE interaction_id = ? ORDER BY seq`),
    feedbackOf: db.prepare(`SELECT * FROM feedback WHERE interaction_id = ? ORDER BY id`),
    list: db.prepare(`SELECT i.id, i.source, i.pid, i.started_at, i.status, i.request, i.answer, i.error_kind, i.generation, i.total_ms, i.rating,
        (SELECT count(*) FROM tool_calls t WHERE t.interaction_id = i.id) AS tool_calls,
        (SELECT count(*) FROM tool_calls t WHERE t.interaction_id = i.id AND t.ok = 0) AS tool_failures,
        (SELECT group_concat(f.signal, ',' ORDER BY f.id) FROM feedback f WHERE f.interaction_id = i.id) AS signals
      FROM interactions i WHERE i.started_at >= @since ORDER BY i.id DESC LIMIT @limit`),
    // One row of JSON arrays, one per column: SQLite builds them in C from the covering index, and
    // JSON.parse is far cheaper than 100,000 row objects. Whole numbers only (times in tenths of a
    // millisecond, rates in tenths of a token per second): printing and parsing floats would cost
    // as much again.
    metrics: db
      .prepare(`SELECT count(*), json_group_array(started_at), json_group_array(generation), json_group_array((status = 'answered') + 2 * asked_again),
        json_group_array(CAST(round(total_ms * 10) AS INTEGER)), json_group_array(CAST(round(first_token_ms * 10) AS INTEGER)),
        json_group_array(CASE WHEN tokens_out > 0 AND model_ms > 0 THEN CAST(round(tokens_out * 10000.0 / model_ms) AS INTEGER) END), json_group_array(rating)
      FROM interactions WHERE started_at >= ? AND started_at < ? AND status IN ('answered', 'no-answer', 'error')`)
      .raw(true),
    servedBy: db
      .prepare(`SELECT generation, commit_oid, min(started_at) AS first FROM interactions WHERE started_at >= ? AND started_at < ? AND status IN ('answered', 'no-answer', 'error')
        AND generation IS NOT NULL AND commit_oid IS NOT NULL GROUP BY generation, commit_oid ORDER BY generation, first`)
      .raw(true),
    previous: db.prepare(`SELECT id, request, finished_at AS ended_at FROM interactions WHERE source = @source AND session IS @session AND status != 'in-flight'
      AND finished_at >= @since ORDER BY id DESC LIMIT 1`),
    sequence: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'interactions'`),
    purgedAt: db.prepare(`SELECT at FROM purges WHERE max_id >= ? ORDER BY id LIMIT 1`),
    purgeRange: db.prepare(`SELECT count(*) AS n, max(id) AS max_id FROM interactions WHERE started_at < ?`),
    purge: db.prepare(`DELETE FROM interactions WHERE started_at < ?`),
    notePurge: db.prepare(`INSERT INTO purges (at, before, max_id, deleted) VALUES (?, ?, ?, ?)`),
  };
}

type Statements = ReturnType<typeof statements>;

function metricColumns(s: Statements, since: number, until: number): MetricColumns {
  const [n, ...json] = s.metrics.get(since, until) as [number, ...string[]];
  const c = allocateColumns(n);
  const [startedAt, generation, flags, total, firstToken, tps, rating] = json.map((text) => JSON.parse(text) as (number | null)[]);
  for (let i = 0; i < n; i++) {
    // What the store wrote itself is never null; an unknown generation, first token, rate or rating is NaN.
    c.startedAt[i] = startedAt![i]!;
    c.generation[i] = generation![i] ?? Number.NaN;
    c.answered[i] = flags![i]! & 1;
    c.askedAgain[i] = flags![i]! >> 1;
    c.totalMs[i] = total![i]! / 10;
    c.firstTokenMs[i] = firstToken![i] === null ? Number.NaN : firstToken![i]! / 10;
    c.tokensPerSecond[i] = tps![i] === null ? Number.NaN : tps![i]! / 10;
    c.rating[i] = rating![i] ?? Number.NaN;
  }
  return c;
}

/** `not-found` for an id, saying whether it was purged, never existed, or was removed some other way. */
function notFound(s: Statements, id: number): EvolveError {
  const purged = s.purgedAt.get(id) as { at: number } | undefined;
  if (purged !== undefined) {
    return new EvolveError("not-found", `interaction ${id} was purged on ${new Date(purged.at).toISOString()} (evolve interactions purge); it cannot be read or given feedback`, { what: "interaction", id, purged: true });
  }
  const seq = (s.sequence.get() as { seq: number } | undefined)?.seq ?? 0;
  if (id >= 1 && id <= seq) return new EvolveError("not-found", `interaction ${id} is no longer in the store`, { what: "interaction", id, purged: true });
  return new EvolveError("not-found", `no interaction ${id} (${seq === 0 ? "nothing has been recorded yet" : `ids run from 1 to ${seq}`})`, { what: "interaction", id, purged: false });
}

function purge(db: Db, s: Statements, file: string, before: number, busyTimeoutMs: number | undefined): PurgeResult {
  let deleted = 0;
  try {
    db.transaction(() => {
      const range = s.purgeRange.get(before) as { n: number; max_id: number | null };
      deleted = range.n;
      if (deleted === 0) return;
      s.purge.run(before);
      s.notePurge.run(Date.now(), before, range.max_id, deleted);
    }).immediate();
  } catch (err) {
    throw storageError(err, file, "purging", busyTimeoutMs);
  }
  if (deleted === 0) return { deleted, vacuumed: true };
  try {
    // Deleted text must not linger in free pages or in the write-ahead log: this is for privacy.
    db.exec("VACUUM");
    db.pragma("wal_checkpoint(TRUNCATE)");
    return { deleted, vacuumed: true };
  } catch {
    return { deleted, vacuumed: false };
  }
}
