/**
 * Prompt templates: Markdown (or any text) with `{{placeholders}}`.
 *
 * Syntax:
 * - `{{name}}` or `{{ name }}`: replaced by the value of `name`; dotted names reach into objects
 *   (`{{agent.name}}`, `{{params.maxResults}}`). Strings are inserted as they are, other values as JSON.
 * - `\{{` is a literal `{{` (the backslash is dropped).
 * - A name the runtime does not provide, an empty `{{}}` or a `{{` without its `}}` is an error that
 *   names the file, line, column and placeholder, so a typo in an evolved prompt never reaches the model.
 *
 * Names the agent runtime provides: `request`, `tools`, `context`, `agent.name`, `agent.description`,
 * `params.<key>` (any key of agent/params.json).
 */
import { WorkspaceInputError } from "../../kernel/input-error.js";

/** Placeholder values: nested objects are reached with dotted names. */
export type TemplateValues = Readonly<Record<string, unknown>>;

/** A placeholder found in a template, with its 1-based position. */
export interface Placeholder {
  name: string;
  line: number;
  column: number;
}

const NAME = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$/;

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** Splits a template into literal text and placeholders; syntax errors throw WorkspaceInputError. */
function parse(text: string, file: string): (string | Placeholder)[] {
  const parts: (string | Placeholder)[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("\\{{", i)) {
      literal += "{{";
      i += 3;
      continue;
    }
    if (!text.startsWith("{{", i)) {
      literal += text[i];
      i++;
      continue;
    }
    const { line, column } = position(text, i);
    const end = text.indexOf("}}", i + 2);
    const newline = text.indexOf("\n", i + 2);
    if (end < 0 || (newline >= 0 && newline < end)) {
      throw new WorkspaceInputError(file, line, column, "", "`{{` without its closing `}}` on the same line (write `\\{{` for a literal `{{`)");
    }
    const name = text.slice(i + 2, end).trim();
    if (!NAME.test(name)) {
      throw new WorkspaceInputError(file, line, column, `{{${name}}}`, "a placeholder must be a name such as {{request}} or {{agent.name}}");
    }
    parts.push(literal, { name, line, column });
    literal = "";
    i = end + 2;
  }
  parts.push(literal);
  return parts;
}

/** The placeholders a template uses, in order (syntax errors throw). */
export function placeholders(text: string, file: string): Placeholder[] {
  return parse(text, file).filter((p): p is Placeholder => typeof p !== "string");
}

function lookup(values: TemplateValues, name: string): { found: boolean; value: unknown } {
  let v: unknown = values;
  for (const key of name.split(".")) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[key];
  }
  return { found: v !== undefined, value: v };
}

/** Names that `values` can fill, for error messages: leaves as dotted paths, at most two levels. */
function known(values: TemplateValues): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) if (v2 !== undefined) out.push(`${k}.${k2}`);
    } else out.push(k);
  }
  return out.sort();
}

/** Fills every placeholder of `text` from `values`; an unknown name throws naming file, line and placeholder. */
export function fillTemplate(text: string, values: TemplateValues, file: string): string {
  let out = "";
  for (const part of parse(text, file)) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const { found, value } = lookup(values, part.name);
    if (!found) {
      throw new WorkspaceInputError(file, part.line, part.column, `{{${part.name}}}`, `unknown placeholder (known: ${known(values).join(", ")})`);
    }
    out += typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}
