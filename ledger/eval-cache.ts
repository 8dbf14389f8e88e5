import { promises as fsp } from "node:fs";
import { dirname, join } from "node:path";
import { gitdirOf } from "./fs.js";
import { errorMessage, EvolveError } from "../kernel/errors.js";

/**
 * Evaluation results keyed by tree id + golden-suite hash + model: the same genome judged by the
 * same suite and model needs no second run. Values are JSON data; treat what `get` returns as read-only.
 */
export interface EvalCache {
  get(tree: string, suiteHash: string, model: string): unknown | undefined;
  /** Remember a value (JSON-serialisable); it reaches disk on flush. A later set of the same key wins. */
  set(tree: string, suiteHash: string, model: string, value: unknown): void;
  /** Append the values set since the last flush to the cache file. */
  flush(): Promise<void>;
  readonly hits: number;
  readonly misses: number;
  /** The cache file: `<gitdir>/evolve/eval-cache.jsonl`. */
  readonly path: string;
}

interface Line {
  tree: string;
  suite: string;
  model: string;
  value: unknown;
}

const keyOf = (tree: string, suite: string, model: string): string => JSON.stringify([tree, suite, model]);

/**
 * Open (or start) the cache of the repository at `dir`. The file is append-only JSON lines; a
 * last line torn by a crash is dropped (and cut from the file), any other bad line is an error
 * naming the file, line and field.
 */
export async function openEvalCache(dir: string): Promise<EvalCache> {
  const path = join(await gitdirOf(dir), "evolve", "eval-cache.jsonl");
  const entries = new Map<string, unknown>();
  let text = await fsp.readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  if (text !== "" && !text.endsWith("\n")) {
    text = text.slice(0, text.lastIndexOf("\n") + 1);
    await fsp.truncate(path, Buffer.byteLength(text, "utf8"));
  }
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    const line = parseLine(raw, `${path}: line ${i + 1}`, { path, line: i + 1 });
    entries.set(keyOf(line.tree, line.suite, line.model), line.value);
  });

  let pending: string[] = [];
  let hits = 0;
  let misses = 0;
  return {
    path,
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
    get(tree, suiteHash, model) {
      const key = keyOf(tree, suiteHash, model);
      if (entries.has(key)) {
        hits++;
        return entries.get(key);
      }
      misses++;
      return undefined;
    },
    set(tree, suiteHash, model, value) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new Error(`EvalCache.set: value for tree ${tree} is not JSON data`);
      // Keep what a reload would give back, not the caller's live object.
      const copy = JSON.parse(json) as unknown;
      entries.set(keyOf(tree, suiteHash, model), copy);
      pending.push(`${JSON.stringify({ tree, suite: suiteHash, model, value: copy })}\n`);
    },
    async flush() {
      if (pending.length === 0) return;
      const chunk = pending.join("");
      pending = [];
      await fsp.mkdir(dirname(path), { recursive: true });
      await fsp.appendFile(path, chunk, "utf8");
    },
  };
}

function parseLine(raw: string, where: string, at: { path: string; line: number }): Line {
  const bad = (why: string): never => {
    throw new EvolveError("storage", `${where}: ${why}`, at);
  };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    return bad(`invalid JSON: ${errorMessage(error)}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) bad("expected an object");
  const record = data as Record<string, unknown>;
  for (const field of ["tree", "suite", "model"] as const) {
    if (typeof record[field] !== "string") bad(`field "${field}": expected a string`);
  }
  if (!("value" in record)) bad(`field "value": missing`);
  return record as unknown as Line;
}
