import { promises as fsp } from "node:fs";
import { warn as warnLine } from "../kernel/warn.js";
import { dirname, join } from "node:path";
import { gitdirOf } from "./fs.js";
import { readLines } from "./line-reader.js";

/**
 * Evaluation results keyed by tree id + golden-suite hash + model: the same genome judged by the
 * same suite and model needs no second run. Values are JSON data; treat what `get` returns as read-only.
 *
 * The cache is bounded and can never stop a run: an entry over MAX_ENTRY_BYTES is not cached, only
 * the newest MAX_CACHE_BYTES of entries are kept (the file is compacted to them when it grows past
 * twice that), the file is read line by line from its newest end, and a line that cannot be read, a
 * file that cannot be read or written, are each reported once through `warn` while the run goes on
 * (unreadable lines are dropped by the next write, which rewrites the file).
 */
export interface EvalCache {
  get(tree: string, suiteHash: string, model: string): unknown | undefined;
  /** Remember a value (JSON-serialisable); it reaches disk on flush. A later set of the same key wins. */
  set(tree: string, suiteHash: string, model: string, value: unknown): void;
  /** Write the values set since the last flush (appended, or the whole file rewritten when it needs repair or compaction). */
  flush(): Promise<void>;
  readonly hits: number;
  readonly misses: number;
  /** The cache file: `<gitdir>/evolve/eval-cache.jsonl`. */
  readonly path: string;
  /** Problems met so far, one line each (each kind once); also given to `warn`. */
  readonly warnings: readonly string[];
}

export interface EvalCacheOptions {
  /** Where problems are reported (once per kind); default: a `warning:` line on stderr. */
  warn?: (message: string) => void;
  /** Bounds in bytes; default MAX_ENTRY_BYTES and MAX_CACHE_BYTES. */
  limits?: { entryBytes?: number; cacheBytes?: number };
}

/** Longest entry kept, in bytes of its line; a larger measurement is simply not cached. */
export const MAX_ENTRY_BYTES = 1 << 20;
/** Entries kept, newest first, in bytes of their lines (in memory and, after compaction, on disk). */
export const MAX_CACHE_BYTES = 16 << 20;

interface Entry {
  tree: string;
  suite: string;
  model: string;
  value: unknown;
  bytes: number;
}

const keyOf = (tree: string, suite: string, model: string): string => JSON.stringify([tree, suite, model]);
const lineOf = (e: Omit<Entry, "bytes">): string => `${JSON.stringify({ tree: e.tree, suite: e.suite, model: e.model, value: e.value })}\n`;

type Warn = (kind: string, message: string) => void;

/** Entries in age order (oldest first), evicting the oldest past `maxBytes`. */
function entryStore(maxBytes: number) {
  const entries = new Map<string, Entry>();
  let held = 0;
  return {
    entries,
    keep(e: Entry): void {
      const key = keyOf(e.tree, e.suite, e.model);
      const old = entries.get(key);
      if (old !== undefined) {
        held -= old.bytes;
        entries.delete(key);
      }
      entries.set(key, e);
      held += e.bytes;
      for (const [k, oldest] of entries) {
        if (held <= maxBytes) break;
        entries.delete(k);
        held -= oldest.bytes;
      }
    },
  };
}

/** What reading the file found: whether it can be used at all, its size, and whether the next write must rewrite it. */
interface FileState {
  usable: boolean;
  bytes: number;
  needsRewrite: boolean;
}

async function readEntries(path: string, maxEntry: number, maxCache: number, keep: (e: Entry) => void, warn: Warn): Promise<FileState> {
  try {
    let bad = 0;
    let firstBad = "";
    const scan = await readLines(path, { windowBytes: 2 * maxCache, maxLineBytes: maxEntry }, (raw, n) => {
      const entry = parseLine(raw);
      if (typeof entry !== "string") keep(entry);
      else if (bad++ === 0) firstBad = `line ${n}: ${entry}`;
    });
    if (bad > 0 || scan.oversize > 0) {
      const from = scan.skippedBytes > 0 ? `, counting from byte ${scan.skippedBytes}` : "";
      const what = [bad > 0 ? `${bad} unreadable line(s) (first: ${firstBad}${from})` : "", scan.oversize > 0 ? `${scan.oversize} line(s) over ${maxEntry} bytes` : ""];
      warn("lines", `${path}: ${what.filter(Boolean).join(" and ")} skipped; the next write rebuilds the cache without them`);
    }
    return { usable: true, bytes: scan.size, needsRewrite: bad > 0 || scan.oversize > 0 || scan.torn || scan.skippedBytes > 0 };
  } catch (e) {
    warn("read", `${path}: cannot be read (${(e as Error).message}); evaluations are not cached in this run`);
    return { usable: false, bytes: 0, needsRewrite: false };
  }
}

/** Open (or start) the cache of the repository at `dir`. Opening never writes. */
export async function openEvalCache(dir: string, options: EvalCacheOptions = {}): Promise<EvalCache> {
  const path = join(await gitdirOf(dir), "evolve", "eval-cache.jsonl");
  const maxEntry = options.limits?.entryBytes ?? MAX_ENTRY_BYTES;
  const maxCache = options.limits?.cacheBytes ?? MAX_CACHE_BYTES;
  const warnings: string[] = [];
  const said = new Set<string>();
  const warn: Warn = (kind, message) => {
    if (said.has(kind)) return;
    said.add(kind);
    warnings.push(message);
    (options.warn ?? warnLine)(message);
  };
  const store = entryStore(maxCache);
  const file = await readEntries(path, maxEntry, maxCache, store.keep, warn);
  let pending: Entry[] = [];
  let hits = 0;
  let misses = 0;
  const write = async (chunk: string) => {
    await fsp.mkdir(dirname(path), { recursive: true });
    if (!file.needsRewrite && file.bytes + chunk.length <= 2 * maxCache) {
      await fsp.appendFile(path, chunk, "utf8");
      file.bytes += Buffer.byteLength(chunk, "utf8");
      return;
    }
    // Compaction or repair: the entries kept, written aside and renamed over the file.
    const text = [...store.entries.values()].map(lineOf).join("");
    const temp = `${path}.${process.pid}.tmp`;
    await fsp.writeFile(temp, text, "utf8");
    await fsp.rename(temp, path);
    file.bytes = Buffer.byteLength(text, "utf8");
    file.needsRewrite = false;
  };
  return {
    path,
    warnings,
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
    get(tree, suiteHash, model) {
      const e = store.entries.get(keyOf(tree, suiteHash, model));
      if (e === undefined) misses++;
      else hits++;
      return e?.value;
    },
    set(tree, suiteHash, model, value) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new Error(`EvalCache.set: value for tree ${tree} is not JSON data`);
      // Keep what a reload would give back, not the caller's live object.
      const entry: Entry = { tree, suite: suiteHash, model, value: JSON.parse(json) as unknown, bytes: 0 };
      entry.bytes = Buffer.byteLength(lineOf(entry), "utf8");
      if (entry.bytes > maxEntry) return warn("size", `an evaluation of ${entry.bytes} bytes is over the cache's ${maxEntry}-byte limit per entry and was not cached`);
      store.keep(entry);
      pending.push(entry);
    },
    async flush() {
      const fresh = pending;
      pending = [];
      if (fresh.length === 0 || !file.usable) return;
      try {
        await write(fresh.map(lineOf).join(""));
      } catch (e) {
        file.usable = false;
        warn("write", `${path}: cannot be written (${(e as Error).message}); evaluations are not cached for the rest of this run`);
      }
    },
  };
}

/** A cache entry, or why the line is not one. */
function parseLine(raw: string): Entry | string {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return "expected an object";
  const record = data as Record<string, unknown>;
  for (const field of ["tree", "suite", "model"] as const) {
    if (typeof record[field] !== "string") return `field "${field}": expected a string`;
  }
  if (!("value" in record)) return `field "value": missing`;
  return { tree: record["tree"] as string, suite: record["suite"] as string, model: record["model"] as string, value: record["value"], bytes: Buffer.byteLength(raw, "utf8") + 1 };
}
