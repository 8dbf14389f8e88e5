import type { AssertionVerdict, CustomAssertionRunner } from "./custom-assertions.js";
import { MAX_REASON_CHARS } from "./custom-module.js";
import { deepEqual } from "./equality.js";
import type { Assertion, GoldenCase } from "./schema.js";
import { describeValue, preview } from "../kernel/yaml-errors.js";
import { oneLine } from "../kernel/text.js";

export { deepEqual } from "./equality.js";

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
  /** One line: "ok", or the first failing assertion and why; at most MAX_REASON_CHARS plus its prefix. */
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
    assertions.push(applyNegation(a, { ...verdict, reason: oneLine(verdict.reason, MAX_REASON_CHARS) }));
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
  if (!outcome.ok) return invalid(`call failed (${outcome.kind}): ${oneLine(outcome.error, MAX_REASON_CHARS)}`);
  const out = outcome.output;
  switch (a.type) {
    case "equals":
      return verdict(deepEqual(out, a.value), `expected ${preview(a.value)}, got ${preview(out)}`, `output equals ${preview(a.value)}`);
    case "contains":
      return judgeContains(out, a.value);
    case "regex": {
      if (typeof out !== "string") return invalid(`regex needs a string output, got ${describeValue(out)}`);
      const shown = `/${String(a.value)}/${a.flags ?? ""}`;
      const r = await runner.regex(String(a.value), a.flags ?? "", out);
      if (!r.ok) return invalid(`${shown} on the output of case ${c.id} (${out.length} characters): ${r.reason}`);
      return verdict(r.match, `${preview(out)} does not match ${shown}`, `${preview(out)} matches ${shown}`);
    }
    case "close-to": {
      if (typeof out !== "number" || Number.isNaN(out)) return invalid(`close-to needs a number output, got ${describeValue(out)}`);
      const want = a.value as number;
      const tol = a.tolerance ?? 1e-9;
      const diff = Math.abs(out - want);
      return verdict(diff <= tol, `${out} is ${diff} away from ${want} (tolerance ${tol})`, `${out} is within ${tol} of ${want}`);
    }
    case "json-schema": {
      const r = await runner.schema(a.value, out);
      if (!r.ok) return invalid(`the schema check on the output of case ${c.id}: ${r.reason}`);
      return verdict(r.valid, `${preview(out)} does not match the schema: ${r.errors}`, "output matches the schema");
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
  if (outcome.kind !== "throw") return invalid(`call failed with ${outcome.kind}, not a throw: ${oneLine(outcome.error, MAX_REASON_CHARS)}`);
  // The sandbox cuts messages to MAX_MESSAGE_CHARS; folding is linear however long they are.
  const msg = oneLine(outcome.error, outcome.error.length);
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
