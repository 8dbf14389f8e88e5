/**
 * Tool outputs on the queue. The local pool hands the host decoded values (sandbox/codec.ts); on
 * their way from a worker to the coordinator they are encoded again in the same tagged JSON, so the
 * coordinator decodes them with the very decoder a local run uses and judges identical values.
 */
import { decodeOutput } from "../sandbox/codec.js";
import { MAX_OUTPUT_CHARS } from "../sandbox/limits.js";

// The sandbox's encoder nests at most 200 levels; decoded values cannot be deeper.
const MAX_DEPTH = 256;

/** Encodes a value decodeOutput produced (undefined, NaN, -0, bigint, Map, Set, Date, RegExp, ...). */
export function encodeOutput(value: unknown): string {
  return JSON.stringify(tag(value, 0));
}

/** The inverse on the coordinator: refuses text over the sandbox's own output limit before parsing it. */
export function decodeWireOutput(text: string): unknown {
  // The encoding of a value may run a little longer than the sandbox's (tags on Map keys and so on).
  if (text.length > MAX_OUTPUT_CHARS * 2) throw new Error(`a worker returned an output of ${text.length} characters, over the limit`);
  return decodeOutput(text);
}

function tag(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error(`output nests deeper than ${MAX_DEPTH} levels`);
  const next = (x: unknown) => tag(x, depth + 1);
  switch (typeof v) {
    case "undefined":
      return { $evolve: "undefined" };
    case "number":
      if (Number.isNaN(v)) return { $evolve: "NaN" };
      if (v === Number.POSITIVE_INFINITY) return { $evolve: "Infinity" };
      if (v === Number.NEGATIVE_INFINITY) return { $evolve: "-Infinity" };
      if (Object.is(v, -0)) return { $evolve: "-0" };
      return v;
    case "bigint":
      return { $evolve: "bigint", value: v.toString() };
    case "string":
    case "boolean":
      return v;
    case "object":
      break;
    default:
      // Functions and symbols were already turned into strings by the decoder.
      return String(v);
  }
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(next);
  if (v instanceof Map) return { $evolve: "Map", entries: [...v].map(([k, x]) => [next(k), next(x)]) };
  if (v instanceof Set) return { $evolve: "Set", values: [...v].map(next) };
  if (v instanceof Date) return { $evolve: "Date", value: Number.isNaN(v.getTime()) ? null : v.toISOString() };
  if (v instanceof RegExp) return { $evolve: "RegExp", source: v.source, flags: v.flags };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: next(x), enumerable: true, writable: true, configurable: true });
  return Object.hasOwn(out, "$evolve") ? { $evolve: "object", value: out } : out;
}
