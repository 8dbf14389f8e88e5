/**
 * A golden case from an observed call: what `evolve cases record` writes. Pure: the outcome comes
 * from the sandbox, the file text goes back to the caller to show and commit.
 */
import { isDeepStrictEqual } from "node:util";
import { parse, stringify } from "yaml";
import { EvolveError } from "../kernel/errors.js";
import type { CaseOutcome } from "../sandbox/pool.js";

/** A recorded case, as it is written to YAML. */
export interface RecordedCase {
  id: string;
  tool: string;
  args: unknown[];
  assert: Array<{ type: "equals" | "throws"; value: unknown }>;
}

const HEADER = "# Golden cases recorded with `evolve cases record` (the tool's observed behaviour, pinned).\ncases:\n";

/** JSON data only (what YAML writes back unchanged): no undefined, NaN, Map, Date, ... */
export function isPlainData(v: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every((x) => isPlainData(x, depth + 1));
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v as object).every((x) => isPlainData(x, depth + 1));
  return false;
}

/** `tool-1`, `tool-2`, ...: the first id not taken. */
export function nextCaseId(tool: string, taken: ReadonlySet<string>): string {
  for (let i = 1; ; i++) if (!taken.has(`${tool}-${i}`)) return `${tool}-${i}`;
}

/**
 * The case pinning `outcome`: an `equals` on the output, or a `throws` on the message. Refused when
 * the call timed out or crashed (nothing to pin), or when the output is not JSON data (an adapter
 * module can encode it: see docs/writing-golden-cases.md).
 */
export function recordedCase(id: string, tool: string, args: unknown[], outcome: CaseOutcome): RecordedCase {
  const base = { id, tool, args };
  if (!outcome.ok) {
    if (outcome.kind !== "throw") throw new EvolveError("workspace", `${tool} did not give a result to record (${outcome.kind}): ${outcome.error}`, { tool, kind: outcome.kind });
    return { ...base, assert: [{ type: "throws", value: outcome.error.replace(/^[A-Za-z]*Error: /, "") }] };
  }
  if (!isPlainData(outcome.output)) {
    throw new EvolveError("workspace", `${tool} returned a value YAML cannot hold as it is (a Map, Set, Date, undefined, NaN, ...): record it through an adapter tool that returns JSON data, or check it with a javascript assertion (docs/writing-golden-cases.md)`, { tool });
  }
  return { ...base, assert: [{ type: "equals", value: outcome.output }] };
}

/** The case as a YAML list item, indented to sit under `cases:`. */
export function recordedYaml(c: RecordedCase): string {
  return stringify([c], { lineWidth: 0 })
    .split("\n")
    .map((line) => (line === "" ? line : `  ${line}`))
    .join("\n");
}

/**
 * The case file with `c` appended (a new file when `existing` is undefined). Refused when the
 * result would not read back as the old cases plus this one, so a hand-edited file is never damaged.
 */
export function appendRecorded(file: string, existing: string | undefined, c: RecordedCase): string {
  const before = existing ?? HEADER;
  const text = `${before.replace(/\s*$/, "")}\n${recordedYaml(c)}`;
  const read = (t: string): { cases?: unknown } | undefined => {
    try {
      return (parse(t) ?? {}) as { cases?: unknown };
    } catch {
      return undefined;
    }
  };
  const oldCases = existing === undefined ? [] : (read(existing)?.cases ?? []);
  const now = read(text)?.cases;
  const ok = Array.isArray(now) && Array.isArray(oldCases) && now.length === oldCases.length + 1 && isDeepStrictEqual(now.slice(0, -1), oldCases) && isDeepStrictEqual(now.at(-1), c);
  if (!ok) throw new EvolveError("workspace", `${file} does not end with its list of cases, so a case cannot be appended safely; pass --file to record into another file`, { path: file });
  return text;
}
