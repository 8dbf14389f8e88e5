import { posix } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import type { FileMap } from "../kernel/files.js";
import { errorMessage } from "../kernel/errors.js";
import { filesUnder, suiteHash } from "./hash.js";
import { compileUserSchema } from "./json-schema.js";
import { ASSERTION_TYPES, CASE_FILE_SCHEMA } from "./schema.js";
import type { AgentCase, Assertion, AssertionType, GoldenCase, GoldenSuite, RawAssertion, RawCase, RawCaseFile } from "./schema.js";
import { ajvError, inputError, locate, parseYaml } from "../kernel/yaml-errors.js";
import type { FieldPath, YamlSource } from "../kernel/yaml-errors.js";

// Compiled on first use: every command imports this module (through workspace/open), few load a suite.
let shapeValidator: ValidateFunction<RawCaseFile> | undefined;
const validateShape = (): ValidateFunction<RawCaseFile> => (shapeValidator ??= new Ajv({ allErrors: false, verbose: true, strictTypes: false }).compile<RawCaseFile>(CASE_FILE_SCHEMA));

const CASE_FILE = /\.ya?ml$/;
const ASSERTION_MODULE = /\.m?js$/;
const DEFAULT_TOLERANCE = 1e-9;

/** Which optional keys each assertion type accepts besides `type`; `value` is required where marked. */
const KEYS: Record<AssertionType, { value: "required" | "optional" | "forbidden"; extra: string[] }> = {
  equals: { value: "required", extra: [] },
  contains: { value: "required", extra: [] },
  regex: { value: "required", extra: ["flags"] },
  "close-to": { value: "required", extra: ["tolerance"] },
  "json-schema": { value: "required", extra: [] },
  javascript: { value: "forbidden", extra: ["file", "config"] },
  throws: { value: "optional", extra: [] },
};

/**
 * Reads every `*.yaml`/`*.yml` file under `dir` (default `golden-tests`) of `files` into one suite.
 * Any mistake throws a WorkspaceInputError naming file, line, column and field. An empty suite is
 * allowed here; whether that is acceptable is the caller's decision.
 */
export function loadSuite(files: FileMap, dir = "golden-tests", limits: SuiteLimits = {}): GoldenSuite {
  const root = posix.normalize(dir).replace(/\/+$/, "");
  const under = filesUnder(files, root);
  const customAssertions = new Map<string, string>();
  for (const path of under) if (ASSERTION_MODULE.test(path)) customAssertions.set(path, files.get(path) ?? "");

  const cases: GoldenCase[] = [];
  const agentCases: AgentCase[] = [];
  const seen = new Map<string, string>(); // id -> "file:line:column" of its first definition
  for (const path of under) {
    if (!CASE_FILE.test(path)) continue;
    const src = parseYaml(files.get(path) ?? "", path);
    for (const c of readCaseFile(src, root, customAssertions)) {
      checkLimits(src, c.path, c.case, limits);
      const first = seen.get(c.case.id);
      if (first !== undefined) {
        throw inputError(src, [...c.path, "id"], `duplicate case id "${c.case.id}" (first defined at ${first})`);
      }
      const at = locate(src, [...c.path, "id"]);
      seen.set(c.case.id, `${path}:${at.line}:${at.column}`);
      if ("agent" in c.case) agentCases.push(c.case);
      else cases.push(c.case);
    }
  }
  return { cases, agentCases, hash: suiteHash(files, root), customAssertions };
}

/** Bounds the workspace config puts on cases (see SuiteLimits). */
export interface SuiteLimits {
  /** The largest per-case `timeoutMs` (config sandbox.maxCaseTimeoutMs); unbounded when absent. */
  maxCaseTimeoutMs?: number;
}

function checkLimits(src: YamlSource, path: FieldPath, c: GoldenCase | AgentCase, limits: SuiteLimits): void {
  const max = limits.maxCaseTimeoutMs;
  if (max !== undefined && "timeoutMs" in c && c.timeoutMs !== undefined && c.timeoutMs > max) {
    throw inputError(src, [...path, "timeoutMs"], `${c.timeoutMs} ms is above the workspace's limit sandbox.maxCaseTimeoutMs (${max} ms); lower it or raise the limit in evolve.config.yaml`);
  }
}

function readCaseFile(src: YamlSource, root: string, modules: ReadonlyMap<string, string>): { case: GoldenCase | AgentCase; path: FieldPath }[] {
  const validate = validateShape();
  if (!validate(src.data)) {
    const err = validate.errors?.[0];
    throw err ? ajvError(src, err) : inputError(src, [], "invalid case file");
  }
  const file = src.data;
  return file.cases.map((raw, i) => {
    const path: FieldPath = ["cases", i];
    return { case: readCase(src, path, raw, file, root, modules), path };
  });
}

function readCase(src: YamlSource, path: FieldPath, raw: RawCase, file: RawCaseFile, root: string, modules: ReadonlyMap<string, string>): GoldenCase | AgentCase {
  if (raw.agent !== undefined) return readAgentCase(src, path, raw, file, root, modules);
  const tool = raw.tool ?? file.tool;
  if (tool === undefined) throw inputError(src, [...path, "tool"], "missing required field (and the file sets no default `tool`)");
  if (raw.args !== undefined && "input" in raw) {
    throw inputError(src, [...path, "input"], "use either `args` (a list) or `input` (one argument), not both", "key");
  }
  const args = raw.args ?? ("input" in raw ? [raw.input] : []);
  const tags = [...new Set([...(file.tags ?? []), ...(raw.tags ?? [])])];
  const out: GoldenCase = {
    id: raw.id,
    file: src.file,
    line: locate(src, path).line,
    tool,
    args,
    assert: raw.assert.map((a, j) => readAssertion(src, [...path, "assert", j], a, root, modules)),
    tags,
    weight: raw.weight ?? 1,
    mustPass: raw.mustPass ?? false,
    split: raw.split ?? file.split ?? "train",
  };
  if (raw.description !== undefined) out.description = raw.description;
  if (raw.timeoutMs !== undefined) out.timeoutMs = raw.timeoutMs;
  return out;
}

/** A case with `agent:` asks the whole agent; a file-level `tool` default does not apply to it. */
function readAgentCase(src: YamlSource, path: FieldPath, raw: RawCase, file: RawCaseFile, root: string, modules: ReadonlyMap<string, string>): AgentCase {
  for (const key of ["tool", "args", "input", "timeoutMs"] as const) {
    if (key in raw) throw inputError(src, [...path, key], `an agent-level case (with \`agent:\`) takes no \`${key}\`: the agent chooses its tools`, "key");
  }
  const agent = raw.agent!;
  const out: AgentCase = {
    id: raw.id,
    file: src.file,
    line: locate(src, path).line,
    agent: { request: agent.request, ...(agent.context !== undefined ? { context: agent.context } : {}) },
    assert: raw.assert.map((a, j) => readAssertion(src, [...path, "assert", j], a, root, modules)),
    tags: [...new Set([...(file.tags ?? []), ...(raw.tags ?? [])])],
    weight: raw.weight ?? 1,
    mustPass: raw.mustPass ?? false,
    split: raw.split ?? file.split ?? "train",
  };
  if (raw.description !== undefined) out.description = raw.description;
  return out;
}

function readAssertion(src: YamlSource, path: FieldPath, raw: RawAssertion, root: string, modules: ReadonlyMap<string, string>): Assertion {
  const negate = raw.type.startsWith("not-");
  const base = negate ? raw.type.slice(4) : raw.type;
  if (!isAssertionType(base)) {
    throw inputError(src, [...path, "type"], `unknown assertion type "${raw.type}" (known: ${ASSERTION_TYPES.join(", ")}; any may be prefixed "not-")`);
  }
  const rules = KEYS[base];
  for (const key of ["tolerance", "flags", "file", "config"] as const) {
    if (key in raw && !rules.extra.includes(key)) {
      const owners = Object.entries(KEYS).filter(([, r]) => r.extra.includes(key)).map(([t]) => t).join(", ");
      throw inputError(src, [...path, key], `"${key}" only applies to ${owners}, not ${raw.type}`, "key");
    }
  }
  const hasValue = "value" in raw;
  if (rules.value === "required" && !hasValue) throw inputError(src, [...path, "value"], `missing required field (${raw.type} compares against value)`);
  if (rules.value === "forbidden" && hasValue) throw inputError(src, [...path, "value"], `${raw.type} takes no value; put settings in config`, "key");

  const a: Assertion = { type: base, negate, line: locate(src, path).line };
  if (hasValue) a.value = raw.value;
  const valuePath = [...path, "value"];
  switch (base) {
    case "regex": {
      if (typeof raw.value !== "string") throw inputError(src, valuePath, "must be a string (a regular expression pattern)");
      try {
        new RegExp(raw.value, raw.flags ?? "");
      } catch (err) {
        // Blame the flags when they fail on their own, rather than reading the engine's message.
        const bad = raw.flags !== undefined && !validFlags(raw.flags);
        throw inputError(src, bad ? [...path, "flags"] : valuePath, `invalid regular expression: ${errorMessage(err)}`);
      }
      if (raw.flags !== undefined) a.flags = raw.flags;
      break;
    }
    case "close-to":
      if (typeof raw.value !== "number" || !Number.isFinite(raw.value)) throw inputError(src, valuePath, "must be a finite number");
      a.tolerance = raw.tolerance ?? DEFAULT_TOLERANCE;
      break;
    case "json-schema":
      try {
        compileUserSchema(raw.value);
      } catch (err) {
        throw inputError(src, valuePath, `invalid JSON schema: ${(err as Error).message}`);
      }
      break;
    case "throws":
      if (hasValue && typeof raw.value !== "string") throw inputError(src, valuePath, "must be a string (a substring of the error message)");
      break;
    case "javascript": {
      if (raw.file === undefined) throw inputError(src, [...path, "file"], "missing required field (path of the assertion module, relative to the golden tests folder)");
      a.file = resolveModule(src, [...path, "file"], raw.file, root, modules);
      if ("config" in raw) a.config = raw.config;
      break;
    }
    default:
      break;
  }
  return a;
}

function isAssertionType(t: string): t is AssertionType {
  return (ASSERTION_TYPES as readonly string[]).includes(t);
}

/** Resolves a custom assertion path against the suite folder; it must stay inside it and exist. */
function resolveModule(src: YamlSource, path: FieldPath, file: string, root: string, modules: ReadonlyMap<string, string>): string {
  if (file.startsWith("/") || file.includes("\\")) throw inputError(src, path, `must be a relative POSIX path inside ${root}/, got "${file}"`);
  const full = posix.normalize(`${root}/${file}`);
  if (!full.startsWith(`${root}/`)) throw inputError(src, path, `"${file}" points outside ${root}/; custom assertions must live there`);
  if (!ASSERTION_MODULE.test(full)) throw inputError(src, path, `"${file}" must be a JavaScript module (.js or .mjs)`);
  if (!modules.has(full)) throw inputError(src, path, `custom assertion file not found: ${full}`);
  return full;
}

function validFlags(flags: string): boolean {
  try {
    new RegExp("", flags);
    return true;
  } catch {
    return false;
  }
}
