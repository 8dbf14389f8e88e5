import { WorkspaceInputError } from "../kernel/input-error.js";
import { runCheck, CHECK_TIME_LIMIT_MS } from "./check-thread.js";
import { broken, loadModule } from "./custom-module.js";
import type { GoldenSuite } from "./schema.js";

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

/** An answer of the check thread, or why there is none (its time limit passed, the thread died). */
export type Bounded<T> = ({ ok: true } & T) | { ok: false; reason: string };

/**
 * Runs the parts of judging that execute user code or user patterns on a candidate's output, in
 * the check thread, each under a time limit, so none of them can hang the host: `javascript`
 * assertions, `regex` patterns and JSON schemas (whose `pattern` keywords are regexes too).
 */
export interface CustomAssertionRunner {
  run(file: string, output: unknown, ctx: CustomAssertionContext): Promise<AssertionVerdict>;
  /** Whether `pattern` (with `flags`) matches `input`. */
  regex(pattern: string, flags: string, input: string): Promise<Bounded<{ match: boolean }>>;
  /** Whether `value` is valid under the user schema `schema`; ajv's errors as one line when not. */
  schema(schema: unknown, value: unknown): Promise<Bounded<{ valid: boolean; errors: string }>>;
}

/** The default export a custom assertion module must have. */
export type CustomAssertionFn = (output: unknown, ctx: CustomAssertionContext) => unknown;

export interface RunnerOptions {
  /**
   * A custom assertion still unsettled after this long fails (it must not hang evolution), whether
   * it waits on a promise or loops. Default 5000.
   */
  timeoutMs?: number;
}

// A synchronous loop is caught by the thread's deadline, an unsettled promise by the thread itself
// (which answers then); the slack keeps the two apart.
const SYNC_SLACK_MS = 500;

/**
 * A runner over `modules` (workspace path -> source, e.g. GoldenSuite.customAssertions). Sources are
 * imported from memory as ES modules in the check thread, never read from disk. They may import
 * node builtins but not relative files (a data: URL has no folder). Every call gets copies of the
 * output and context (they cross to the thread).
 */
export function createAssertionRunner(modules: ReadonlyMap<string, string>, options: RunnerOptions = {}): CustomAssertionRunner {
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async run(file, output, ctx) {
      const source = modules.get(file);
      if (source === undefined) return broken(`custom assertion ${file} is not in the suite`);
      const r = await runCheck({ kind: "custom", file, source, output, ctx, timeoutMs }, timeoutMs + SYNC_SLACK_MS);
      if (!r.ok) return broken(`${file} ${r.reason}`);
      if (r.answer.kind === "custom") return r.answer.verdict;
      return broken(`${file}: ${r.answer.kind === "error" ? r.answer.message : "unexpected answer"}`);
    },
    async regex(pattern, flags, input) {
      const r = await runCheck({ kind: "regex", pattern, flags, input }, CHECK_TIME_LIMIT_MS);
      if (!r.ok) return r;
      if (r.answer.kind === "regex") return { ok: true, match: r.answer.match };
      return { ok: false, reason: r.answer.kind === "error" ? r.answer.message : "unexpected answer" };
    },
    async schema(schema, value) {
      const r = await runCheck({ kind: "schema", schema, value }, CHECK_TIME_LIMIT_MS);
      if (!r.ok) return r;
      if (r.answer.kind === "schema") return { ok: true, valid: r.answer.valid, errors: r.answer.errors };
      return { ok: false, reason: r.answer.kind === "error" ? r.answer.message : "unexpected answer" };
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
