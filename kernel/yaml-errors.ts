import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { ErrorObject } from "ajv";
import { WorkspaceInputError } from "./input-error.js";
import { preview } from "./text.js";

export { preview } from "./text.js";

/** A path into parsed YAML data: map keys and sequence indexes, outermost first. */
export type FieldPath = readonly (string | number)[];

/** A parsed YAML file that remembers where every value came from, so errors can name line and column. */
export interface YamlSource {
  file: string;
  /** The file's data as plain JS (null for an empty file). */
  data: unknown;
  doc: Document;
  lines: LineCounter;
}

/** Where a located field points: at its key (`foo:`) or at its value. */
export type Anchor = "key" | "value";

/**
 * Parses one YAML document. Syntax errors, several documents in one file and dangling aliases
 * become a WorkspaceInputError at the offending position.
 */
export function parseYaml(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    throw new WorkspaceInputError(file, pos.line, pos.col, "", `invalid YAML: ${first.message}`);
  }
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) === undefined) {
        const pos = lines.linePos(alias.range?.[0] ?? 0);
        throw new WorkspaceInputError(file, pos.line, pos.col, "", `invalid YAML: alias *${alias.source} has no anchor before it`);
      }
    },
  });
  let data: unknown;
  try {
    // maxAliasCount guards against alias bombs; data files never need many.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new WorkspaceInputError(file, 1, 1, "", `invalid YAML: ${(err as Error).message}`);
  }
  return { file, data, doc, lines };
}

/** Formats a path as `cases[3].assert[0].type`. */
export function fieldName(path: FieldPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/**
 * Line and column (1-based) of the field at `path`. If the path runs past what exists (a missing
 * key), this is the position of the deepest node that does exist, which is where the user must add it.
 */
export function locate(src: YamlSource, path: FieldPath, anchor: Anchor = "value"): { line: number; column: number } {
  let node: unknown = src.doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(src.doc);
    let keyOffset: number | undefined;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      keyOffset = rangeStart(pair.key);
      next = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      next = node.items[seg];
      if (next === undefined) break;
    } else {
      break;
    }
    const last = i === path.length - 1;
    const valueOffset = rangeStart(next);
    if (last && anchor === "key" && keyOffset !== undefined) offset = keyOffset;
    else offset = valueOffset ?? keyOffset ?? offset;
    node = next;
  }
  const pos = src.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** A WorkspaceInputError for the field at `path`. */
export function inputError(src: YamlSource, path: FieldPath, detail: string, anchor: Anchor = "value"): WorkspaceInputError {
  const { line, column } = locate(src, path, anchor);
  return new WorkspaceInputError(src.file, line, column, fieldName(path), detail);
}

/** Short, one-line description of a value for messages: `string "x"`, `number 3`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `string ${preview(value)}`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  null: "null",
};

/** Converts the first ajv error (validated with `verbose: true`) into a positioned WorkspaceInputError. */
export function ajvError(src: YamlSource, err: ErrorObject): WorkspaceInputError {
  const path: (string | number)[] = err.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
  const params = err.params as Record<string, unknown>;
  const parent = err.parentSchema as { properties?: Record<string, unknown>; description?: string } | undefined;
  switch (err.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(parent?.properties ?? {}).join(", ");
      return inputError(src, [...path, key], `unknown key "${key}" (allowed: ${allowed})`, "key");
    }
    case "required":
      return inputError(src, [...path, String(params.missingProperty)], "missing required field");
    case "type": {
      const types = String(params.type).split(",").map((t) => TYPE_NAMES[t] ?? t);
      if (path.length === 0 && (err.data === null || err.data === undefined)) {
        return inputError(src, path, "file is empty; expected a mapping");
      }
      return inputError(src, path, `must be ${types.join(" or ")}, got ${describeValue(err.data)}`);
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map((v) => preview(v)).join(", ");
      return inputError(src, path, `must be one of ${allowed}; got ${describeValue(err.data)}`);
    }
    case "const":
      return inputError(src, path, `must be ${preview(params.allowedValue)}; got ${describeValue(err.data)}`);
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return inputError(src, path, `must be ${String(params.comparison)} ${String(params.limit)}; got ${String(err.data)}`);
    case "minItems":
      return inputError(src, path, `must have at least ${String(params.limit)} item(s)`);
    case "minLength":
      return inputError(src, path, Number(params.limit) === 1 ? "must not be empty" : `must be at least ${String(params.limit)} characters`);
    case "pattern":
      return inputError(src, path, `${describeValue(err.data)} is not allowed: ${parent?.description ?? `must match ${String(params.pattern)}`}`);
    case "uniqueItems":
      return inputError(src, path, `must not repeat items (items ${String(params.j)} and ${String(params.i)} are equal)`);
    default:
      return inputError(src, path, err.message ?? `failed ${err.keyword}`);
  }
}
