import { Ajv } from "ajv";
import type { ValidateFunction } from "ajv";

/**
 * User schemas (the `json-schema` assertion) get their own ajv instance: strict about unknown
 * keywords and formats so a typo is a load error rather than a silently passing check.
 */
const ajv = new Ajv({ allErrors: false, strictTypes: false, strictTuples: false, strictRequired: false });
const compiled = new Map<string, ValidateFunction>();

/** Compiles (once per distinct schema text) a user JSON schema; throws ajv's error if it is invalid. */
export function compileUserSchema(schema: unknown): ValidateFunction {
  if ((typeof schema !== "object" || schema === null || Array.isArray(schema)) && typeof schema !== "boolean") {
    throw new Error("a JSON schema must be a mapping or a boolean");
  }
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    // ajv keeps every schema it compiled by $id; a fresh copy avoids "already exists" across suites.
    const copy = structuredClone(schema) as Record<string, unknown> | boolean;
    if (typeof copy === "object" && "$id" in copy) delete copy.$id;
    fn = ajv.compile(copy);
    compiled.set(key, fn);
  }
  return fn;
}

/** ajv's errors as one line: `/a must be string; must have required property 'b'`. */
export function schemaErrors(fn: ValidateFunction): string {
  return (fn.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}`).join("; ");
}
