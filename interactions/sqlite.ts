/**
 * The SQLite connection under the store: WAL, so readers never wait for writers and a writer waits
 * (busy timeout) instead of failing when another process writes; `synchronous = NORMAL`, so a commit
 * costs no fsync while a killed process still loses nothing it committed; versioned migrations.
 * Every SQLite failure leaves as an EvolveError that says what happened to which file.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { EvolveError, errorMessage } from "../kernel/errors.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.js";

export type Db = Database.Database;

export interface ConnectOptions {
  /** Create the file (and its folder) when missing. */
  create: boolean;
  /** How long a write waits for another process's write (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Size cap of the database file; a write past it fails like a full disk (SQLITE_FULL). */
  maxBytes?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Turns anything SQLite throws into a one-line EvolveError naming the file. */
export function storageError(err: unknown, file: string, doing: string, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): EvolveError {
  if (err instanceof EvolveError) return err;
  const code = String((err as { code?: unknown }).code ?? "");
  const text = errorMessage(err);
  const data = { path: file, sqlite: code || null };
  const say = (message: string): EvolveError => new EvolveError("storage", message, data, { cause: err });
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return say(`the interaction store ${file} is locked by another process (waited ${busyTimeoutMs} ms while ${doing}); try again`);
  }
  if (code === "SQLITE_FULL") return say(`disk full: cannot write the interaction store ${file} while ${doing}; free space or purge old interactions (evolve interactions purge --before DATE)`);
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
    return say(`${file} is not a readable interaction store (${text}); move it away and a new one is started`);
  }
  if (code.startsWith("SQLITE_READONLY")) return say(`the interaction store ${file} is read-only (${text})`);
  if (code.startsWith("SQLITE_CANTOPEN")) return say(`cannot open the interaction store ${file} (${text})`);
  if (code.startsWith("SQLITE_IOERR")) return say(`cannot read or write the interaction store ${file} while ${doing} (${code}: ${text})`);
  return say(`the interaction store ${file} failed while ${doing}: ${text}`);
}

/**
 * Opens (or creates) the database and brings its schema up to date. A database from a newer evolve is
 * refused before anything is written to it. Returns null when the file is missing and `create` is off.
 */
export function connect(file: string, options: ConnectOptions): Db | null {
  if (!options.create && !existsSync(file)) return null;
  const busy = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let db: Db | undefined;
  try {
    if (options.create) mkdirSync(path.dirname(file), { recursive: true });
    db = new Database(file, { timeout: busy, fileMustExist: !options.create });
    // Read first: this is where a file that is not a database, or one from a newer evolve, shows.
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new EvolveError(
        "storage-version",
        `${file} was written by a newer evolve (schema version ${version}; this evolve knows up to ${SCHEMA_VERSION}); upgrade evolve to use it`,
        { path: file, version, supported: SCHEMA_VERSION },
      );
    }
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db);
    if (options.maxBytes !== undefined) {
      const page = db.pragma("page_size", { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / page))}`);
    }
    return db;
  } catch (err) {
    db?.close();
    throw storageError(err, file, "opening it", busy);
  }
}

/** Applies the missing migrations in one write transaction; a second process racing it finds them done. */
function migrate(db: Db): void {
  if ((db.pragma("user_version", { simple: true }) as number) === SCHEMA_VERSION) return;
  db.transaction(() => {
    const at = db.pragma("user_version", { simple: true }) as number;
    for (const m of MIGRATIONS) {
      if (m.version <= at) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
}
