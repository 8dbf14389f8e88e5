/**
 * The learning memory's store: (situation -> action -> outcome) rows in an SQLite file beside the
 * interaction store (`<gitdir>/evolve/memory.sqlite`), never in the workspace's tree.
 *
 * Why SQLite and not git notes: the loop appends dozens of outcomes per round and queries them
 * every round, from several processes (a run, an improve); SQLite gives that in one short
 * transaction per round, with WAL so readers never wait. The durable record of every candidate is
 * already in git (commits and the attempts notes); the memory is a derived index of what worked
 * where, which a clone may rebuild from use. A separate file from the interactions, so purging
 * interactions for privacy does not erase what the search learned, and the other way round.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { EvolveError, errorMessage } from "../kernel/errors.js";
import { rankSimilar, type MemoryEntry, type Recalled, type Situation } from "./situation.js";

export const MEMORY_FILE = "memory.sqlite";
/** The schema version this code writes; a file with a higher one is refused. */
export const MEMORY_SCHEMA_VERSION = 1;
/** Rows a query reads at most (the newest): bounds the cost of a query as the memory grows. */
export const MEMORY_SCAN_LIMIT = 20_000;
/** Characters kept of a description and of a situation's text parts. */
const MAX_TEXT = 300;
const MAX_SHAPE = 120;

export interface LearningMemory {
  readonly path: string;
  /** Appends outcomes, in one transaction. */
  record(entries: readonly MemoryEntry[]): void;
  /** Past outcomes ranked by how similar their situation is to `s`. */
  querySimilar(s: Situation, limit?: number): Recalled[];
  /** The newest entries, newest first. */
  recent(limit?: number): MemoryEntry[];
  /** Rows in the memory. */
  count(): number;
  close(): void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outcomes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    tool         TEXT    NOT NULL,
    failure_kind TEXT    NOT NULL,
    assertion    TEXT    NOT NULL,
    shape        TEXT    NOT NULL,
    operator     TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    delta        REAL    NOT NULL
  );`;

interface Row {
  at: number;
  tool: string;
  failure_kind: string;
  assertion: string;
  shape: string;
  operator: string;
  description: string;
  outcome: MemoryEntry["outcome"];
  delta: number;
}

function fail(file: string, doing: string, err: unknown): EvolveError {
  if (err instanceof EvolveError) return err;
  const code = String((err as { code?: unknown }).code ?? "");
  return new EvolveError("storage", `the learning memory ${file} failed while ${doing}${code ? ` (${code})` : ""}: ${errorMessage(err)}; move it away and a new one is started`, { path: file, sqlite: code || null }, { cause: err });
}

/** Opens (creating when `create`) the memory at `file`; null when it is missing and `create` is off. */
export function openLearningMemory(file: string, options: { create: boolean }): LearningMemory | null {
  if (!options.create && !existsSync(file)) return null;
  let db: Database.Database | undefined;
  try {
    if (options.create) mkdirSync(path.dirname(file), { recursive: true });
    db = new Database(file, { timeout: 5000, fileMustExist: !options.create });
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > MEMORY_SCHEMA_VERSION) {
      throw new EvolveError("storage-version", `${file} was written by a newer evolve (schema version ${version}; this evolve knows up to ${MEMORY_SCHEMA_VERSION}); upgrade evolve to use it`, { path: file, version, supported: MEMORY_SCHEMA_VERSION });
    }
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    if (version < MEMORY_SCHEMA_VERSION) {
      const d = db;
      d.transaction(() => {
        d.exec(SCHEMA);
        d.pragma(`user_version = ${MEMORY_SCHEMA_VERSION}`);
      }).immediate();
    }
    return wrap(db, file);
  } catch (err) {
    db?.close();
    throw fail(file, "opening it", err);
  }
}

function wrap(db: Database.Database, file: string): LearningMemory {
  const insert = db.prepare("INSERT INTO outcomes (at, tool, failure_kind, assertion, shape, operator, description, outcome, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const newest = db.prepare("SELECT at, tool, failure_kind, assertion, shape, operator, description, outcome, delta FROM outcomes ORDER BY id DESC LIMIT ?");
  const counter = db.prepare("SELECT count(*) AS n FROM outcomes");
  const cut = (s: string): string => s.slice(0, MAX_TEXT);
  const guard = <T>(doing: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw fail(file, doing, err);
    }
  };
  const recent = (limit: number): MemoryEntry[] => (newest.all(limit) as Row[]).map(toEntry);
  return {
    path: file,
    record: (entries) =>
      guard("recording outcomes", () =>
        db.transaction(() => {
          for (const e of entries) {
            const s = e.situation;
            insert.run(e.at, cut(s.tool), cut(s.failureKind), cut(s.assertion), JSON.stringify(s.shape.slice(0, MAX_SHAPE)), cut(e.operator), cut(e.description), e.outcome, Number.isFinite(e.delta) ? e.delta : 0);
          }
        })(),
      ),
    querySimilar: (s, limit = 20) => guard("querying it", () => rankSimilar(recent(MEMORY_SCAN_LIMIT), s, limit)),
    recent: (limit = 50) => guard("reading it", () => recent(limit)),
    count: () => guard("counting", () => (counter.get() as { n: number }).n),
    close: () => db.close(),
  };
}

function toEntry(r: Row): MemoryEntry {
  let shape: string[] = [];
  try {
    const parsed: unknown = JSON.parse(r.shape);
    if (Array.isArray(parsed)) shape = parsed.filter((x): x is string => typeof x === "string");
  } catch {
    // A damaged shape only weakens similarity; the row's other parts still count.
  }
  return {
    situation: { tool: r.tool, failureKind: r.failure_kind, assertion: r.assertion, shape },
    operator: r.operator,
    description: r.description,
    outcome: r.outcome,
    delta: r.delta,
    at: r.at,
  };
}
