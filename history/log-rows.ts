/**
 * What `evolve log` shows of each generation: a row read from the commit's `Evolve-*` trailers, and
 * the rows as the JSON text `evolve log --json` prints, produced batch by batch as the history is
 * read. Kept below bin/ so the history benchmark times the command's own path.
 */
import type { LogEntry } from "../ledger/log.js";
import { TRAILER } from "../ledger/record.js";

/** One row of `evolve log --json`. */
export interface LogRow {
  commit: string;
  generation: number | null;
  score: number | null;
  parentScore: number | null;
  delta: number | null;
  holdout: number | null;
  action: string | null;
  operator: string | null;
  fixed: string[];
  tags: string[];
  subject: string;
  timestamp: number;
}

/** Rows of the entries, batch by batch. */
export async function* logRows(batches: AsyncIterable<LogEntry[]>): AsyncGenerator<LogRow[]> {
  for await (const batch of batches) yield batch.map(rowOf);
}

function rowOf(e: LogEntry): LogRow {
  const t = e.trailers;
  const num = (k: string) => (t.has(k) ? Number(t.get(k)) : null);
  return {
    commit: e.commit,
    generation: num(TRAILER.generation),
    score: num(TRAILER.score),
    parentScore: num(TRAILER.parentScore),
    delta: num(TRAILER.delta),
    holdout: num(TRAILER.holdout),
    action: t.get(TRAILER.action) ?? null,
    operator: t.get(TRAILER.operator) ?? null,
    fixed: t.get(TRAILER.fixed)?.split(/,\s*/).filter((x) => x !== "" && x !== "none") ?? [],
    tags: e.tags,
    subject: e.subject,
    timestamp: e.timestamp,
  };
}

/**
 * The same bytes as `JSON.stringify(rows, null, 2)`, as chunks, one per batch (a batch stringified
 * as an array is already indented as the whole would be); nothing before the first row is read.
 */
export async function* logJsonChunks(batches: AsyncIterable<LogRow[]>): AsyncGenerator<string> {
  let first = true;
  for await (const batch of batches) {
    if (batch.length === 0) continue;
    const inner = JSON.stringify(batch, null, 2).slice(2, -2);
    yield `${first ? "[\n" : ",\n"}${inner}`;
    first = false;
  }
  yield first ? "[]\n" : "\n]\n";
}
