/**
 * The store's schema as numbered migrations. The database's `user_version` is the number of the
 * last migration applied; a newer evolve adds migrations at the end and never edits old ones, and
 * a database whose version is above the last one known here was written by a newer evolve and is
 * refused rather than guessed at.
 */

export interface Migration {
  version: number;
  /** Why this migration exists, for whoever reads the list. */
  why: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: "interactions, their tool calls and feedback; purges, so feedback on a purged id says so",
    sql: `
      CREATE TABLE interactions (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        source          TEXT    NOT NULL,
        session         TEXT,
        pid             INTEGER,
        started_at      INTEGER NOT NULL,
        finished_at     INTEGER,
        status          TEXT    NOT NULL,
        request         TEXT    NOT NULL,
        request_chars   INTEGER NOT NULL,
        answer          TEXT,
        answer_chars    INTEGER,
        error_kind      TEXT,
        error           TEXT,
        model_provider  TEXT    NOT NULL,
        model_name      TEXT    NOT NULL,
        model_identity  TEXT,
        model_params    TEXT    NOT NULL,
        commit_oid      TEXT,
        generation      INTEGER,
        first_token_ms  REAL,
        total_ms        REAL,
        model_ms        REAL,
        tokens_in       INTEGER,
        tokens_out      INTEGER,
        steps           INTEGER,
        refusals        INTEGER,
        rating          INTEGER,
        asked_again     INTEGER NOT NULL DEFAULT 0,
        feedback_count  INTEGER NOT NULL DEFAULT 0
      );
      -- Covers the live-metrics query: statistics read this index alone, never the rows with their texts.
      CREATE INDEX interactions_metrics ON interactions (started_at, status, generation, total_ms, first_token_ms, model_ms, tokens_out, rating, asked_again, commit_oid);
      CREATE INDEX interactions_session ON interactions (source, session, started_at);
      CREATE TABLE tool_calls (
        interaction_id  INTEGER NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        name            TEXT    NOT NULL,
        args            TEXT    NOT NULL,
        ok              INTEGER NOT NULL,
        result          TEXT    NOT NULL,
        failure_kind    TEXT,
        ms              REAL,
        PRIMARY KEY (interaction_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE feedback (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        interaction_id  INTEGER NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
        at              INTEGER NOT NULL,
        source          TEXT    NOT NULL,
        signal          TEXT    NOT NULL,
        rating          INTEGER,
        expected        TEXT,
        note            TEXT
      );
      CREATE INDEX feedback_interaction ON feedback (interaction_id);
      CREATE TABLE purges (
        id              INTEGER PRIMARY KEY,
        at              INTEGER NOT NULL,
        before          INTEGER NOT NULL,
        max_id          INTEGER,
        deleted         INTEGER NOT NULL
      );
    `,
  },
];

/** The schema version this evolve writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
