import type { AssertionVerdict, CustomAssertionRunner } from "./custom-assertions.js";
import { compileUserSchema, schemaErrors } from "./json-schema.js";
import type { Assertion, GoldenCase } from "./schema.js";
import { describeValue, preview } from "../kernel/yaml-errors.js";

/**
 * What the sandbox reports for one call. Structurally the same as the sandbox's own type; declared
 * here so the judging side does not depend on the executing side.
 */
export type CaseOutcome =
  | { id: string; ok: true; output: unknown; ms: number }
  | { id: string; ok: false; kind: string; error: string; ms: number };

/** The result of one assertion after negation. */
export interface AssertionResult {
  /** As written in the case file, e.g. `not-contains`. */
  type: string;
  pass: boolean;
  /** 0..1. */
  score: number;
  reason: string;
}

/** The result of one case. */
export interface CaseResult {
  id: string;
  /** True when every assertion passed. */
  pass: boolean;
  /**
   * 0..1, the mean of the assertion scores: partial credit, so a case with 3 of 4 assertions
   * passing scores 0.75 (a custom assertion may report a fractional score of its own). A failed
   * call fails every assertion except `throws`, so it scores 0 unless the case expects a throw.
   */
  score: number;
  /** One line: "ok", or the first failing assertion and why. */
  reason: string;
  assertions: AssertionResult[];
  ms: number;
}

/** Checks one outcome against its case. Custom assertions run through `runner`, in the host. */
export async function checkCase(c: GoldenCase, outcome: CaseOutcome, runner: CustomAssertionRunner): Promise<CaseResult> {
  if (outcome.id !== c.id) throw new Error(`checkCase: outcome for "${outcome.id}" given for case "${c.id}"`);
  const assertions: AssertionResult[] = [];
  for (const a of c.assert) {
    const verdict = await judge(a, c, outcome, runner);
    assertions.push(applyNegation(a, verdict));
  }
  const failing = assertions.map((r, i) => ({ r, i })).filter(({ r }) => !r.pass);
  const score = assertions.length ? assertions.reduce((s, r) => s + r.score, 0) / assertions.length : 0;
  let reason = "ok";
  const first = failing[0];
  if (first) {
    reason = `assert[${first.i}] ${first.r.type}: ${first.r.reason}`;
    if (failing.length > 1) reason += ` (+${failing.length - 1} more failing)`;
  }
  return { id: c.id, pass: failing.length === 0, score, reason, assertions, ms: outcome.ms };
}

function applyNegation(a: Assertion, v: AssertionVerdict): AssertionResult {
  const type = a.negate ? `not-${a.type}` : a.type;
  if (!a.negate || !v.valid) return { type, pass: v.pass, score: v.score, reason: v.reason };
  const pass = !v.pass;
  return { type, pass, score: 1 - v.score, reason: pass ? `as expected, not so: ${v.reason}` : `must not hold, but ${v.reason}` };
}

async function judge(a: Assertion, c: GoldenCase, outcome: CaseOutcome, runner: CustomAssertionRunner): Promise<AssertionVerdict> {
  if (a.type === "throws") return judgeThrows(a, outcome);
  if (!outcome.ok) return invalid(`call failed (${outcome.kind}): ${oneLine(outcome.error)}`);
  const out = outcome.output;
  switch (a.type) {
    case "equals":
      return verdict(deepEqual(out, a.value), `expected ${preview(a.value)}, got ${preview(out)}`, `output equals ${preview(a.value)}`);
    case "contains":
      return judgeContains(out, a.value);
    case "regex": {
      if (typeof out !== "string") return invalid(`regex needs a string output, got ${describeValue(out)}`);
      const re = new RegExp(String(a.value), a.flags ?? "");
      return verdict(re.test(out), `${preview(out)} does not match /${String(a.value)}/${a.flags ?? ""}`, `${preview(out)} matches /${String(a.value)}/${a.flags ?? ""}`);
    }
    case "close-to": {
      if (typeof out !== "number" || Number.isNaN(out)) return invalid(`close-to needs a number output, got ${describeValue(out)}`);
      const want = a.value as number;
      const tol = a.tolerance ?? 1e-9;
      const diff = Math.abs(out - want);
      return verdict(diff <= tol, `${out} is ${diff} away from ${want} (tolerance ${tol})`, `${out} is within ${tol} of ${want}`);
    }
    case "json-schema": {
      const validate = compileUserSchema(a.value);
      const ok = validate(out);
      return verdict(ok, `${preview(out)} does not match the schema: ${ok ? "" : schemaErrors(validate)}`, "output matches the schema");
    }
    case "javascript":
      return runner.run(a.file ?? "", out, { config: a.config, case: { id: c.id, tool: c.tool, args: c.args, tags: c.tags } });
    default:
      return invalid(`unknown assertion type ${String(a.type)}`);
  }
}

function judgeThrows(a: Assertion, outcome: CaseOutcome): AssertionVerdict {
  if (outcome.ok) return verdict(false, `expected the call to throw, it returned ${preview(outcome.output)}`, "");
  // Only a thrown error counts: a timeout or a crash is a failure of a different kind.
  if (outcome.kind !== "throw") return invalid(`call failed with ${outcome.kind}, not a throw: ${oneLine(outcome.error)}`);
  const msg = oneLine(outcome.error);
  if (typeof a.value === "string") {
    return verdict(msg.includes(a.value), `threw ${preview(msg)}, which does not contain ${preview(a.value)}`, `threw ${preview(msg)}`);
  }
  return verdict(true, "", `threw ${preview(msg)}`);
}

function judgeContains(out: unknown, value: unknown): AssertionVerdict {
  if (typeof out === "string") {
    if (typeof value !== "string") return invalid(`output is a string but value ${preview(value)} is not`);
    return verdict(out.includes(value), `${preview(out)} does not contain ${preview(value)}`, `${preview(out)} contains ${preview(value)}`);
  }
  if (Array.isArray(out)) {
    const at = out.findIndex((x) => deepEqual(x, value));
    return verdict(at >= 0, `no element of ${preview(out)} equals ${preview(value)}`, `element ${at} equals ${preview(value)}`);
  }
  return invalid(`contains needs a string or list output, got ${describeValue(out)}`);
}

function verdict(pass: boolean, failReason: string, passReason: string): AssertionVerdict {
  return { pass, score: pass ? 1 : 0, reason: pass ? passReason : failReason, valid: true };
}

function invalid(reason: string): AssertionVerdict {
  return { pass: false, score: 0, reason, valid: false };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Structural equality for JSON-like data: key order is irrelevant, array order is not, a key whose
 * value is undefined counts as absent (as in JSON), NaN equals NaN, and 0 equals -0.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}
