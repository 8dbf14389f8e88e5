/**
 * Loading and calling a custom (`javascript`) assertion module. Runs in the check thread
 * (./check-worker.ts) for judging, and in the host only to report a module that does not load
 * (prepareCustomAssertions).
 */
import { createHash } from "node:crypto";
import { oneLine, preview } from "../kernel/text.js";
import type { AssertionVerdict, CustomAssertionContext, CustomAssertionFn } from "./custom-assertions.js";

/** Longest reason an assertion may give, in characters; longer ones are cut. */
export const MAX_REASON_CHARS = 500;

// Keyed by content hash: the same source is imported once per thread however many suites or
// candidates use it (data: URL modules are never unloaded, so re-importing would only leak).
const moduleCache = new Map<string, Promise<CustomAssertionFn>>();

/** Imports `source` from memory as an ES module and returns its default export. */
export async function loadModule(file: string, source: string): Promise<CustomAssertionFn> {
  const key = createHash("sha256").update(source).digest("hex");
  let pending = moduleCache.get(key);
  if (!pending) {
    const url = `data:text/javascript;base64,${Buffer.from(source).toString("base64")}`;
    pending = import(/* @vite-ignore */ url).then((m: { default?: unknown }) => {
      if (typeof m.default !== "function") throw new Error("must `export default` a function (output, ctx) => boolean | { pass, score?, reason? }");
      return m.default as CustomAssertionFn;
    });
    moduleCache.set(key, pending);
  }
  try {
    return await pending;
  } catch (err) {
    const e = err as Error;
    throw new (err instanceof SyntaxError ? SyntaxError : Error)(`${file}: ${e.message}`);
  }
}

/** Calls the assertion in `source` on `output`; an unsettled promise fails after `timeoutMs`. */
export async function runCustomAssertion(file: string, source: string, output: unknown, ctx: CustomAssertionContext, timeoutMs: number): Promise<AssertionVerdict> {
  let fn: CustomAssertionFn;
  try {
    fn = await loadModule(file, source);
  } catch (err) {
    return broken(errorLine(err));
  }
  let result: unknown;
  try {
    result = await withTimeout(Promise.resolve().then(() => fn(output, ctx)), timeoutMs);
  } catch (err) {
    return broken(`${file} threw: ${errorLine(err)}`);
  }
  return interpretVerdict(file, result);
}

/** What a custom assertion returned, as a verdict: a boolean, or { pass, score?, reason? }. */
export function interpretVerdict(file: string, result: unknown): AssertionVerdict {
  if (typeof result === "boolean") return { pass: result, score: result ? 1 : 0, reason: result ? "custom assertion passed" : `${file} returned false`, valid: true };
  if (typeof result === "object" && result !== null && typeof (result as { pass?: unknown }).pass === "boolean") {
    const r = result as { pass: boolean; score?: unknown; reason?: unknown };
    let score = r.pass ? 1 : 0;
    if (r.score !== undefined) {
      if (typeof r.score !== "number" || !(r.score >= 0 && r.score <= 1)) return broken(`${file} returned score ${preview(r.score)}; expected a number in 0..1`);
      score = r.score;
    }
    const reason = typeof r.reason === "string" && r.reason ? oneLine(r.reason, MAX_REASON_CHARS) : r.pass ? "custom assertion passed" : `${file} returned pass: false`;
    return { pass: r.pass, score, reason, valid: true };
  }
  return broken(`${file} returned ${preview(result)}; expected a boolean or { pass: boolean, score?, reason? }`);
}

export function broken(reason: string): AssertionVerdict {
  return { pass: false, score: 0, reason, valid: false };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer)) as Promise<T>;
}

function errorLine(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? err.message : String(err);
  } catch {
    text = "an unprintable value";
  }
  return oneLine(text, MAX_REASON_CHARS);
}
