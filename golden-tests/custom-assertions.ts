import { createHash } from "node:crypto";
import { WorkspaceInputError } from "../kernel/input-error.js";
import type { GoldenSuite } from "./schema.js";
import { preview } from "../kernel/yaml-errors.js";

/** What a custom assertion receives as its second argument. Fresh copies on every call. */
export interface CustomAssertionContext {
  /** The assertion's `config` from the case file (undefined when absent). */
  config: unknown;
  /** The case being checked. */
  case: { id: string; tool: string; args: unknown[]; tags: string[] };
}

/** The judgement of one assertion before negation is applied. */
export interface AssertionVerdict {
  pass: boolean;
  /** 0..1. */
  score: number;
  reason: string;
  /**
   * False when the assertion could not judge at all (the call failed, the output has the wrong
   * type, the custom assertion threw). Such a verdict fails whether or not the type is negated.
   */
  valid: boolean;
}

/** Runs the `javascript` assertions of a suite in the host process. */
export interface CustomAssertionRunner {
  run(file: string, output: unknown, ctx: CustomAssertionContext): Promise<AssertionVerdict>;
}

/** The default export a custom assertion module must have. */
export type CustomAssertionFn = (output: unknown, ctx: CustomAssertionContext) => unknown;

export interface RunnerOptions {
  /** A custom assertion still unsettled after this long fails (it must not hang evolution). Default 5000. */
  timeoutMs?: number;
}

// Keyed by content hash: the same source is imported once per process however many suites or
// candidates use it (data: URL modules are never unloaded, so re-importing would only leak).
const moduleCache = new Map<string, Promise<CustomAssertionFn>>();

/**
 * A runner over `modules` (workspace path -> source, e.g. GoldenSuite.customAssertions). Sources are
 * imported from memory as ES modules, never read from disk. They may import node builtins but not
 * relative files (a data: URL has no folder).
 */
export function createAssertionRunner(modules: ReadonlyMap<string, string>, options: RunnerOptions = {}): CustomAssertionRunner {
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async run(file, output, ctx) {
      const source = modules.get(file);
      if (source === undefined) return broken(`custom assertion ${file} is not in the suite`);
      let fn: CustomAssertionFn;
      try {
        fn = await loadModule(file, source);
      } catch (err) {
        return broken((err as Error).message);
      }
      let result: unknown;
      try {
        result = await withTimeout(Promise.resolve().then(() => fn(copy(output), copy(ctx))), timeoutMs);
      } catch (err) {
        return broken(`${file} threw: ${oneLine(err)}`);
      }
      return interpret(file, result);
    },
  };
}

/** The runner for a loaded suite's custom assertions (its `customAssertions` map). */
export function createCustomAssertionRunner(suite: GoldenSuite, options: RunnerOptions = {}): CustomAssertionRunner {
  return createAssertionRunner(suite.customAssertions, options);
}

/**
 * Imports every custom assertion the suite's cases use, so a broken module is reported before any
 * evaluation, as a WorkspaceInputError with the line of the syntax error when there is one.
 */
export async function prepareCustomAssertions(suite: GoldenSuite): Promise<void> {
  const used = new Set<string>();
  for (const c of suite.cases) for (const a of c.assert) if (a.file !== undefined) used.add(a.file);
  for (const file of [...used].sort()) {
    const source = suite.customAssertions.get(file);
    if (source === undefined) throw new WorkspaceInputError(file, 1, 1, "", "custom assertion file not found");
    try {
      await loadModule(file, source);
    } catch (err) {
      const at = err instanceof SyntaxError ? await syntaxErrorAt(file, source) : undefined;
      throw new WorkspaceInputError(file, at?.line ?? 1, at?.column ?? 1, "", at?.message ?? (err as Error).message);
    }
  }
}

async function loadModule(file: string, source: string): Promise<CustomAssertionFn> {
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
    const wrapped = new (err instanceof SyntaxError ? SyntaxError : Error)(`${file}: ${e.message}`);
    throw wrapped;
  }
}

/** Finds the position of a syntax error with the TypeScript parser (loaded only when needed). */
async function syntaxErrorAt(file: string, source: string): Promise<{ line: number; column: number; message: string } | undefined> {
  const ts = (await import("typescript")).default;
  const out = ts.transpileModule(source, {
    fileName: file.replace(/\.mjs$/, ".js"),
    reportDiagnostics: true,
    compilerOptions: { allowJs: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const d = out.diagnostics?.find((x) => x.file !== undefined && x.start !== undefined);
  if (!d?.file || d.start === undefined) return undefined;
  const pos = d.file.getLineAndCharacterOfPosition(d.start);
  return { line: pos.line + 1, column: pos.character + 1, message: `syntax error: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}` };
}

function interpret(file: string, result: unknown): AssertionVerdict {
  if (typeof result === "boolean") return { pass: result, score: result ? 1 : 0, reason: result ? "custom assertion passed" : `${file} returned false`, valid: true };
  if (typeof result === "object" && result !== null && typeof (result as { pass?: unknown }).pass === "boolean") {
    const r = result as { pass: boolean; score?: unknown; reason?: unknown };
    let score = r.pass ? 1 : 0;
    if (r.score !== undefined) {
      if (typeof r.score !== "number" || !(r.score >= 0 && r.score <= 1)) return broken(`${file} returned score ${preview(r.score)}; expected a number in 0..1`);
      score = r.score;
    }
    const reason = typeof r.reason === "string" && r.reason ? oneLine(r.reason) : r.pass ? "custom assertion passed" : `${file} returned pass: false`;
    return { pass: r.pass, score, reason, valid: true };
  }
  return broken(`${file} returned ${preview(result)}; expected a boolean or { pass: boolean, score?, reason? }`);
}

function broken(reason: string): AssertionVerdict {
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

function copy<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, " ").trim();
}
