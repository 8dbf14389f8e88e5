/**
 * The golden case format: the types the rest of evolve uses and the JSON schema that checks the
 * shape of a case file. Rules that need more than shape (assertion types, regexes, schemas,
 * custom assertion files, duplicate ids) are checked in load.ts.
 */

/** Built-in assertion types. Any of them may be prefixed `not-` to negate it. */
export const ASSERTION_TYPES = ["equals", "contains", "regex", "close-to", "json-schema", "javascript", "throws"] as const;
export type AssertionType = (typeof ASSERTION_TYPES)[number];

/** One check on a case's result. `type` is the base type (without `not-`); `negate` records the prefix. */
export interface Assertion {
  type: AssertionType;
  negate: boolean;
  /** Expected value (equals, contains, close-to), pattern (regex), schema (json-schema), message substring (throws). */
  value?: unknown;
  /** close-to only: allowed absolute difference, default 1e-9. */
  tolerance?: number;
  /** regex only: RegExp flags. */
  flags?: string;
  /** javascript only: workspace-relative path of the assertion module (e.g. `golden-tests/assertions/x.js`). */
  file?: string;
  /** javascript only: passed to the assertion as `ctx.config`. */
  config?: unknown;
  /** 1-based line of the assertion in its case file. */
  line: number;
}

/** Training cases steer evolution; holdout cases are only reported, to catch overfitting. */
export type Split = "train" | "holdout";

/** One golden case: call `tool(...args)` in the sandbox, then check the outcome with `assert`. */
export interface GoldenCase {
  /** Unique across the whole suite. */
  id: string;
  /** Workspace-relative path of the YAML file that defines the case. */
  file: string;
  /** 1-based line of the case in that file. */
  line: number;
  description?: string;
  /** Name of the exported tool function. */
  tool: string;
  /** Positional arguments (JSON data). */
  args: unknown[];
  assert: Assertion[];
  tags: string[];
  /** > 0; the case's share of its split's weighted score. */
  weight: number;
  /** A failing mustPass case is reported in SuiteScore.mustPassFailed. */
  mustPass: boolean;
  split: Split;
  /** Wall-time limit of this case in the sandbox, ms (default: the config's sandbox.timeoutMs). */
  timeoutMs?: number;
}

/** What an agent-level case asks the agent: a user request, and optional text for `{{context}}`. */
export interface AgentRequest {
  request: string;
  context?: string;
}

/**
 * An agent-level case: the whole agent (model, prompts, params, tools) answers `agent.request`, and
 * the assertions check the answer text. Same fields as a GoldenCase except `agent` for `tool`/`args`.
 */
export interface AgentCase extends Omit<GoldenCase, "tool" | "args" | "timeoutMs"> {
  agent: AgentRequest;
}

/** A loaded suite: its cases in file then definition order, a content hash and the custom assertion sources. */
export interface GoldenSuite {
  cases: GoldenCase[];
  /** Agent-level cases (those with `agent:`), in file then definition order; run by `evolve tune`, not by the sandbox suite. */
  agentCases?: AgentCase[];
  /** "sha256:<hex>" over every file under the suite folder (path and content), assertion modules included. */
  hash: string;
  /** Workspace-relative path -> source of every JavaScript module under the suite folder. */
  customAssertions: ReadonlyMap<string, string>;
}

const TOOL_ID = {
  type: "string",
  pattern: "^[A-Za-z_$][A-Za-z0-9_$]*$",
  description: "a tool id is the name of an exported function (letters, digits, _ and $; not starting with a digit)",
};
const TAGS = { type: "array", items: { type: "string", minLength: 1 } };
const SPLIT = { enum: ["train", "holdout"] };

const ASSERTION_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["type"],
  properties: {
    type: { type: "string" },
    value: {},
    tolerance: { type: "number", minimum: 0 },
    flags: { type: "string" },
    file: { type: "string", minLength: 1 },
    config: {},
  },
};

const CASE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["id", "assert"],
  properties: {
    id: { type: "string", pattern: "^\\S+$", description: "a case id must be non-empty and contain no whitespace" },
    description: { type: "string" },
    tool: TOOL_ID,
    args: { type: "array" },
    input: {},
    agent: {
      type: "object",
      additionalProperties: false,
      required: ["request"],
      properties: { request: { type: "string", minLength: 1 }, context: { type: "string" } },
    },
    assert: { type: "array", minItems: 1, items: ASSERTION_SCHEMA },
    weight: { type: "number", exclusiveMinimum: 0 },
    mustPass: { type: "boolean" },
    tags: TAGS,
    split: SPLIT,
    timeoutMs: { type: "integer", minimum: 1, description: "a case's time limit is a whole number of milliseconds >= 1" },
  },
};

/** JSON schema of one case file (shape only). */
export const CASE_FILE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["cases"],
  properties: {
    tool: TOOL_ID,
    tags: TAGS,
    split: SPLIT,
    cases: { type: "array", items: CASE_SCHEMA },
  },
};

/** The raw shape CASE_FILE_SCHEMA admits, before defaults are applied. */
export interface RawCaseFile {
  tool?: string;
  tags?: string[];
  split?: Split;
  cases: RawCase[];
}

export interface RawCase {
  id: string;
  description?: string;
  tool?: string;
  args?: unknown[];
  input?: unknown;
  agent?: AgentRequest;
  assert: RawAssertion[];
  weight?: number;
  mustPass?: boolean;
  tags?: string[];
  split?: Split;
  timeoutMs?: number;
}

export interface RawAssertion {
  type: string;
  value?: unknown;
  tolerance?: number;
  flags?: string;
  file?: string;
  config?: unknown;
}
