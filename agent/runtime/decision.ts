/**
 * What the model may say at each step, as a JSON schema the provider enforces (grammar, `format`,
 * `response_format`) and the runtime re-checks: call one tool with arguments that fit its signature,
 * or answer. One variant per tool, so the arguments are typed per tool, not just "an array".
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { JSON_VALUE_DEF, type ToolSpec } from "./catalogue.js";

/** A model reply. */
export type Decision = { action: "tool"; tool: string; args: unknown[] } | { action: "answer"; text: string };

/** Longest answer the grammar allows: a bound that makes even a rambling model close its JSON. */
export const ANSWER_MAX = 1200;

function argsSchema(t: ToolSpec): Record<string, unknown> {
  if (t.loose) return { type: "array", items: { $ref: "#/$defs/json" }, maxItems: 32 };
  const required = t.params.findIndex((p) => p.optional);
  const minItems = required < 0 ? t.params.length : required;
  if (t.params.length === 0) return { type: "array", maxItems: 0 };
  return { type: "array", prefixItems: t.params.map((p) => p.schema), minItems, maxItems: t.params.length };
}

const ANSWER = {
  type: "object",
  properties: { action: { const: "answer" }, text: { type: "string", maxLength: ANSWER_MAX } },
  required: ["action", "text"],
  additionalProperties: false,
};

/** The reply schema; with `answerOnly` (the last step) the model can only answer. */
export function decisionSchema(tools: readonly ToolSpec[], answerOnly = false): Record<string, unknown> {
  if (answerOnly || tools.length === 0) return ANSWER;
  const variants = tools.map((t) => ({
    type: "object",
    properties: { action: { const: "tool" }, tool: { const: t.id }, args: argsSchema(t) },
    required: ["action", "tool", "args"],
    additionalProperties: false,
  }));
  const schema: Record<string, unknown> = { oneOf: [...variants, ANSWER] };
  if (JSON.stringify(variants).includes("#/$defs/json")) schema.$defs = { json: JSON_VALUE_DEF };
  return schema;
}

// Draft 2020-12 because per-position argument types are `prefixItems`, which draft 7 ignores.
const ajv = new Ajv2020({ allErrors: false, strict: false });
const compiled = new Map<string, ValidateFunction>();

function describe(e: ErrorObject): string {
  return `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`;
}

/** Parses and checks a reply: the decision, or why it is not one (in one line). */
export function parseDecision(raw: string, schema: Record<string, unknown>): { ok: true; decision: Decision } | { ok: false; reason: string } {
  let text = raw.trim();
  const fence = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(text);
  if (fence?.[1] !== undefined) text = fence[1].trim();
  if (!text) return { ok: false, reason: "the reply is empty" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `the reply is not JSON: ${(err as Error).message}` };
  }
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  if (validate(value)) return { ok: true, decision: value as Decision };
  // oneOf reports every variant's failure; name the one the reply meant, by its "tool" or "action".
  const v = value as { action?: unknown; tool?: unknown };
  if (typeof v === "object" && v !== null && v.action === "tool" && typeof v.tool === "string") {
    const single = (schema.oneOf as Record<string, unknown>[] | undefined)?.find((s) => (s.properties as { tool?: { const?: unknown } }).tool?.const === v.tool);
    if (!single) return { ok: false, reason: `there is no tool "${v.tool}"` };
    const one = ajv.compile({ ...single, ...(schema.$defs ? { $defs: schema.$defs } : {}) });
    if (!one(value)) return { ok: false, reason: `the call of ${v.tool} does not fit its signature: ${(one.errors ?? []).map(describe).join("; ")}` };
  }
  if (typeof v === "object" && v !== null && v.action === "answer") {
    const one = ajv.compile(ANSWER);
    if (!one(value)) return { ok: false, reason: `the answer does not match the schema: ${(one.errors ?? []).map(describe).join("; ")}` };
  }
  return { ok: false, reason: `the reply matches no allowed action (${(validate.errors ?? []).slice(0, 3).map(describe).join("; ")})` };
}
