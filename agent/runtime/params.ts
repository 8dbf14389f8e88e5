/**
 * The model parameters an agent keeps in agent/params.json, beside its tools' own parameters:
 * `temperature`, `topP`, `maxTokens`, `seed` and `maxSteps`. They are part of the genome, so evolution
 * can tune them like any other parameter.
 */
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import type { FileMap } from "../../kernel/files.js";
import { WorkspaceInputError } from "../../kernel/input-error.js";

export const PARAMS_FILE = "agent/params.json";

/** Generation settings of the agent runtime, every one filled. */
export interface AgentParams {
  /** 0 by default: an agent that is evaluated must answer the same way twice. */
  temperature: number;
  topP?: number;
  /** Tokens per model reply (one decision or answer). */
  maxTokens: number;
  seed?: number;
  /** Model replies per request: tool calls plus the answer. */
  maxSteps: number;
}

export const DEFAULT_AGENT_PARAMS: Readonly<AgentParams> = Object.freeze({ temperature: 0, maxTokens: 512, maxSteps: 4 });

interface Rule {
  check: (v: unknown) => boolean;
  expected: string;
}

const RULES: Record<string, Rule> = {
  temperature: { check: (v) => typeof v === "number" && v >= 0 && v <= 2, expected: "a number from 0 to 2" },
  topP: { check: (v) => typeof v === "number" && v > 0 && v <= 1, expected: "a number above 0 and at most 1" },
  maxTokens: { check: (v) => Number.isInteger(v) && (v as number) >= 16, expected: "a whole number >= 16" },
  seed: { check: (v) => Number.isInteger(v), expected: "a whole number" },
  maxSteps: { check: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 32, expected: "a whole number from 1 to 32" },
};

function where(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

/** agent/params.json as data (an empty object when absent); syntax errors throw with file and line. */
export function readParamsJson(files: FileMap): { data: Record<string, unknown>; tree: Node | undefined; text: string } {
  const text = files.get(PARAMS_FILE);
  if (text === undefined) return { data: {}, tree: undefined, text: "" };
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  const first = errors[0];
  if (first) {
    const { line, column } = where(text, first.offset);
    throw new WorkspaceInputError(PARAMS_FILE, line, column, "", `invalid JSON: ${printParseErrorCode(first.error)}`);
  }
  if (tree?.type !== "object") {
    throw new WorkspaceInputError(PARAMS_FILE, 1, 1, "", "must be a JSON object");
  }
  return { data: JSON.parse(text) as Record<string, unknown>, tree, text };
}

/**
 * The runtime's parameters: agent/params.json's keys over the defaults. A wrong value throws a
 * WorkspaceInputError at its line, e.g. `agent/params.json:3:18: temperature: expected a number from 0 to 2`.
 */
export function agentParams(files: FileMap): AgentParams {
  const { data, tree, text } = readParamsJson(files);
  const out: AgentParams = { ...DEFAULT_AGENT_PARAMS };
  for (const [key, rule] of Object.entries(RULES)) {
    if (!Object.hasOwn(data, key)) continue;
    const value = data[key];
    if (!rule.check(value)) {
      const node = tree ? findNodeAtLocation(tree, [key]) : undefined;
      const { line, column } = node ? where(text, node.offset) : { line: 1, column: 1 };
      throw new WorkspaceInputError(PARAMS_FILE, line, column, key, `expected ${rule.expected}, got ${JSON.stringify(value)}`);
    }
    (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}
