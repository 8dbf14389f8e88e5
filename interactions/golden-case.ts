/**
 * From an interaction to an agent-level golden case: the request, and what the answer must be. An
 * expected answer (given now, or with the feedback) becomes an `equals`; a good answer becomes a
 * regression guard (`equals` the answer it gave); a bad answer without an expected one becomes
 * `not-equals` that answer, so at least that mistake cannot come back. The split comes from a stable
 * hash of the request when none is given. The YAML is appended to a case file as text, so existing
 * cases keep every byte. Pure.
 */
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { parse, stringify } from "yaml";
import { EvolveError } from "../kernel/errors.js";
import type { Interaction } from "./types.js";

export type CaseSplit = "train" | "holdout";

/** The agent-level case as it is written into golden-tests/. */
export interface PromotedCase {
  id: string;
  description: string;
  agent: { request: string };
  assert: { type: "equals" | "not-equals"; value: string }[];
  tags: string[];
  split: CaseSplit;
}

/** What the case asserts, and from what. */
export type PromotionBasis = "expected-flag" | "expected-feedback" | "good-answer" | "bad-answer";

export interface PromoteOptions {
  split?: CaseSplit;
  /** The expected answer, overriding any feedback. */
  expected?: string;
}

/** One in this many requests lands in holdout (textkit's suite holds out a quarter too). */
const HOLDOUT_ONE_IN = 4;

/** train or holdout from a hash of the request: the same request always lands on the same side. */
export function stableSplit(request: string): CaseSplit {
  const byte = createHash("sha256").update(request.trim(), "utf8").digest()[0]!;
  return byte % HOLDOUT_ONE_IN === 0 ? "holdout" : "train";
}

export function promotedCaseId(interactionId: number): string {
  return `promoted-${interactionId}`;
}

/** The case an interaction becomes; refused (`usage`) when nothing says what its answer should be. */
export function promotedCase(i: Interaction, o: PromoteOptions = {}): { case: PromotedCase; basis: PromotionBasis } {
  if (i.requestChars > i.request.length) throw new EvolveError("usage", `interaction ${i.id}'s request was cut when it was stored (${i.requestChars} characters); it cannot become a case`, { id: i.id });
  const explicit = [...i.feedback].reverse().filter((f) => f.source === "explicit");
  const withExpected = explicit.find((f) => f.expected !== null);
  const verdict = explicit[0];
  let assertion: PromotedCase["assert"][number];
  let basis: PromotionBasis;
  if (o.expected !== undefined && o.expected.trim() !== "") {
    assertion = { type: "equals", value: o.expected.trim() };
    basis = "expected-flag";
  } else if (withExpected?.expected) {
    assertion = { type: "equals", value: withExpected.expected };
    basis = "expected-feedback";
  } else if (verdict?.rating != null && verdict.rating >= 4 && i.answer !== null && i.answerChars === i.answer.length) {
    assertion = { type: "equals", value: i.answer };
    basis = "good-answer";
  } else if (verdict?.rating != null && verdict.rating <= 2 && i.answer !== null && i.answerChars === i.answer.length) {
    assertion = { type: "not-equals", value: i.answer };
    basis = "bad-answer";
  } else {
    throw new EvolveError(
      "usage",
      `interaction ${i.id} has no feedback that says what its answer should be: mark it (evolve feedback ${i.id} --good, or --bad --expected TEXT) or pass --expected TEXT`,
      { id: i.id },
    );
  }
  const when = new Date(i.startedAt).toISOString();
  const served = i.generation === null ? "" : `, generation ${i.generation}`;
  const why = { "expected-flag": "expected answer given at promotion", "expected-feedback": "expected answer from feedback", "good-answer": "a good answer kept as a regression guard", "bad-answer": "a bad answer that must not come back" }[basis];
  return {
    basis,
    case: {
      id: promotedCaseId(i.id),
      description: `promoted from interaction ${i.id} (${when}${served}): ${why}`,
      agent: { request: i.request },
      assert: [assertion],
      tags: ["promoted"],
      split: o.split ?? stableSplit(i.request),
    },
  };
}

const HEADER = `# Agent-level cases promoted from recorded interactions (evolve promote ID). Cases are appended
# here one at a time; existing cases are never edited by evolve.
cases:
`;

/** The case as a YAML list item indented under `cases:`. */
export function caseYaml(c: PromotedCase): string {
  const item = stringify([c], { lineWidth: 0 });
  return item
    .split("\n")
    .map((line) => (line === "" ? line : `  ${line}`))
    .join("\n");
}

/**
 * The case file with `c` appended: a new file when `existing` is undefined. Refused (`workspace`)
 * when appending would not leave exactly the old cases plus this one (the file does not end with its
 * case list), so a hand-edited file is never damaged.
 */
export function appendCase(file: string, existing: string | undefined, c: PromotedCase): string {
  const before = existing ?? HEADER;
  const text = `${before.replace(/\s*$/, "")}\n${caseYaml(c)}`;
  const load = (t: string): unknown => {
    try {
      return parse(t) as unknown;
    } catch {
      return undefined;
    }
  };
  const old = existing === undefined ? { cases: null } : load(existing);
  const now = load(text) as { cases?: unknown[] } | undefined;
  const oldCases = (old as { cases?: unknown[] | null } | undefined)?.cases ?? [];
  const ok =
    now !== undefined &&
    Array.isArray(now.cases) &&
    Array.isArray(oldCases) &&
    now.cases.length === oldCases.length + 1 &&
    isDeepStrictEqual(now.cases.slice(0, -1), oldCases) &&
    isDeepStrictEqual(now.cases.at(-1), c);
  if (!ok) throw new EvolveError("workspace", `${file} does not end with its list of cases, so a case cannot be appended safely; add it by hand or move \`cases:\` last`, { path: file });
  return text;
}
