/**
 * A response cache keyed by everything that changes an answer: the model's identity, every
 * generation parameter (schema included) and the prompt. Kept in memory, or appended to a JSONL file
 * so it survives the process.
 */
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Completion, type GenerateOptions, type Prompt, type Provider, drain } from "./provider.js";

/** One stored answer. */
export interface CacheEntry {
  key: string;
  /** ModelInfo.identity of the model that produced it. */
  identity: string;
  text: string;
  tokens: { prompt: number; completion: number };
  /** Cost of the original generation. */
  ms: number;
  firstTokenMs: number | null;
  /** ISO time of storing. */
  at: string;
}

/** Counters users can see (a cache that silently answers is a surprise). */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Calls not eligible for caching (neither temperature 0 nor a fixed seed). */
  bypassed: number;
  entries: number;
}

export interface ResponseCache {
  /** The JSONL file, or null for a memory-only cache. */
  readonly file: string | null;
  /** Looks a key up, counting a hit or a miss. */
  get(key: string): CacheEntry | undefined;
  put(entry: CacheEntry): void;
  /** Counts a call that was not eligible for caching. */
  bypass(): void;
  readonly stats: Readonly<CacheStats>;
}

const KEY_VERSION = 1;

/**
 * Only reproducible calls are cached: temperature 0 (greedy decoding) or a fixed seed. Any other
 * call samples afresh by design; answering it from a cache would turn randomness the caller asked
 * for into a constant.
 */
export function isCacheable(options: GenerateOptions): boolean {
  return options.temperature === 0 || options.seed !== undefined;
}

/**
 * sha256 over the model identity, all generation parameters and the prompt. Schema key order is kept
 * as given: for grammar-driven back-ends it is the order the properties are generated in.
 */
export function cacheKey(identity: string, prompt: Prompt, options: GenerateOptions): string {
  const messages = typeof prompt === "string" ? prompt : prompt.map((m) => [m.role, m.content]);
  const params = [options.temperature ?? null, options.topP ?? null, options.maxTokens ?? null, options.stop ?? null, options.seed ?? null, options.schema ?? null];
  return createHash("sha256").update(JSON.stringify([KEY_VERSION, identity, params, messages])).digest("hex");
}

function checkEntry(value: unknown, where: string): CacheEntry {
  const bad = (field: string, expected: string): never => {
    throw new Error(`${where}: field "${field}": expected ${expected}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("(line)", "a JSON object");
  const e = value as Record<string, unknown>;
  if (typeof e.key !== "string" || !/^[0-9a-f]{64}$/.test(e.key)) bad("key", "a sha256 hex string");
  if (typeof e.identity !== "string") bad("identity", "a string");
  if (typeof e.text !== "string") bad("text", "a string");
  const t = e.tokens as Record<string, unknown> | undefined;
  if (typeof t !== "object" || t === null || typeof t.prompt !== "number" || typeof t.completion !== "number") bad("tokens", "{ prompt: number, completion: number }");
  if (typeof e.ms !== "number") bad("ms", "a number");
  if (e.firstTokenMs !== null && typeof e.firstTokenMs !== "number") bad("firstTokenMs", "a number or null");
  if (typeof e.at !== "string") bad("at", "a string");
  return e as unknown as CacheEntry;
}

/**
 * A cache in memory, or backed by a JSONL file (created on the first store, parent folders too).
 * A malformed line throws, naming file, line and field, except an unterminated last line: that is
 * the trace of a process killed mid-write, and is dropped.
 */
export function createResponseCache(file?: string): ResponseCache {
  const entries = new Map<string, CacheEntry>();
  const stats: CacheStats = { hits: 0, misses: 0, bypassed: 0, entries: 0 };
  const target = file === undefined ? null : path.resolve(file);
  let needsNewline = false;

  if (target && existsSync(target)) {
    const text = readFileSync(target, "utf8");
    const lines = text.split("\n");
    const terminated = text.endsWith("\n");
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const last = i === lines.length - 1 && !terminated;
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch (err) {
        if (last) {
          needsNewline = true;
          return;
        }
        throw new Error(`${target}:${i + 1}: not JSON (${(err as Error).message})`);
      }
      const entry = checkEntry(data, `${target}:${i + 1}`);
      entries.set(entry.key, entry);
      if (last) needsNewline = true;
    });
    stats.entries = entries.size;
  }

  return {
    file: target,
    stats,
    get(key) {
      const hit = entries.get(key);
      if (hit) stats.hits++;
      else stats.misses++;
      return hit;
    },
    put(entry) {
      entries.set(entry.key, entry);
      stats.entries = entries.size;
      if (!target) return;
      mkdirSync(path.dirname(target), { recursive: true });
      appendFileSync(target, `${needsNewline ? "\n" : ""}${JSON.stringify(entry)}\n`);
      needsNewline = false;
    },
    bypass() {
      stats.bypassed++;
    },
  };
}

/**
 * Wraps a provider with a cache. Eligible calls (see isCacheable) are answered from the cache when
 * possible: the stored text is replayed through stream() as one chunk and the Completion says
 * `cached: true` (ms and firstTokenMs are those of the original generation). Only whole answers are
 * stored; a failed or abandoned stream leaves no entry.
 */
export function cached(provider: Provider, cache: ResponseCache): Provider {
  let identity: Promise<string> | null = null;
  const modelIdentity = (): Promise<string> => {
    identity ??= provider.info().then((i) => i.identity);
    identity.catch(() => {
      identity = null;
    });
    return identity;
  };

  async function* stream(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<string, Completion> {
    if (!isCacheable(options)) {
      cache.bypass();
      return yield* provider.stream(prompt, options);
    }
    const id = await modelIdentity();
    const key = cacheKey(id, prompt, options);
    const hit = cache.get(key);
    if (hit) {
      options.signal?.throwIfAborted();
      if (hit.text) yield hit.text;
      return { text: hit.text, tokens: { ...hit.tokens }, ms: hit.ms, firstTokenMs: hit.firstTokenMs, cached: true };
    }
    const completion = yield* provider.stream(prompt, options);
    cache.put({ key, identity: id, text: completion.text, tokens: completion.tokens, ms: completion.ms, firstTokenMs: completion.firstTokenMs, at: new Date().toISOString() });
    return completion;
  }

  return {
    name: provider.name,
    info: () => provider.info(),
    health: () => provider.health(),
    stream,
    complete: (prompt, options) => drain(stream(prompt, options)),
    ...(provider.listModels ? { listModels: () => provider.listModels?.() ?? Promise.resolve([]) } : {}),
    close: () => provider.close(),
  };
}
