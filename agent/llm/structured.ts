/**
 * JSON output that matches a schema, or a clear refusal. The provider's own mechanism constrains the
 * output (a grammar for node-llama-cpp, `format` for Ollama, `response_format` for OpenAI-compatible
 * servers); then the text is parsed and validated with ajv, because servers differ in how strictly
 * they honour a schema. Never returns a half value.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { Completion, GenerateOptions, Prompt, Provider } from "./provider.js";

export type JsonResult<T> =
  | { ok: true; value: T; completion: Completion }
  | { ok: false; reason: string; raw: string; completion: Completion };

// strict: false because user schemas may carry annotations ajv does not know (e.g. "format" values).
const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validator(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    try {
      v = ajv.compile(schema);
    } catch (err) {
      throw new Error(`generateJson: the schema itself is invalid: ${(err as Error).message}`);
    }
    compiled.set(schema, v);
  }
  return v;
}

/** One ajv error as a sentence about the output, e.g. `/op must be one of "insert", "delete" (got "x")`. */
function describe(e: ErrorObject, value: unknown): string {
  const where = e.instancePath || "(root)";
  const got = (): string => {
    let v: unknown = value;
    for (const part of e.instancePath.split("/").slice(1)) v = (v as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    return JSON.stringify(v);
  };
  switch (e.keyword) {
    case "enum":
      return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((a) => JSON.stringify(a)).join(", ")} (got ${got()})`;
    case "additionalProperties":
      return `${where} has a property the schema does not allow: "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case "required":
      return `${where} lacks the required property "${(e.params as { missingProperty: string }).missingProperty}"`;
    default:
      return `${where} ${e.message ?? "is invalid"} (got ${got()})`;
  }
}

/** Output text as JSON text: trimmed, and unwrapped from a Markdown code fence some servers add. */
function jsonText(raw: string): string {
  const t = raw.trim();
  const fence = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(t);
  return fence?.[1] !== undefined ? fence[1].trim() : t;
}

/**
 * Asks for JSON matching `schema`. Output that does not parse or does not validate gives
 * `{ ok: false, reason, raw }`; provider failures (server down, timeout) throw as usual.
 */
export async function generateJson<T>(provider: Provider, prompt: Prompt, schema: object, options: Omit<GenerateOptions, "schema"> = {}): Promise<JsonResult<T>> {
  const validate = validator(schema);
  const completion = await provider.complete(prompt, { ...options, schema });
  const raw = completion.text;
  const text = jsonText(raw);
  if (!text) return { ok: false, reason: "the model produced no output", raw, completion };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const cut = options.maxTokens !== undefined && completion.tokens.completion >= options.maxTokens ? ` (it stopped at maxTokens = ${options.maxTokens}, probably mid-value)` : "";
    return { ok: false, reason: `the output is not valid JSON: ${(err as Error).message}${cut}`, raw, completion };
  }
  if (!validate(value)) {
    const reasons = (validate.errors ?? []).map((e) => describe(e, value));
    return { ok: false, reason: `the output does not match the schema: ${reasons.join("; ")}`, raw, completion };
  }
  return { ok: true, value: value as T, completion };
}
