/**
 * Equality of tool outputs, as the `equals` and `contains` assertions judge them. Defined for every
 * value the sandbox codec (sandbox/codec.ts) decodes, and for what YAML gives:
 *
 * | values                      | equal when                                                           |
 * |-----------------------------|----------------------------------------------------------------------|
 * | primitives                  | the same value; NaN equals NaN; 0 equals -0; 1n equals 1n, not 1    |
 * | arrays (and typed arrays)   | same length, equal elements in order; a hole is undefined          |
 * | plain objects               | same keys, equal values; a key whose value is undefined counts as absent (as in JSON) |
 * | Map                         | same size, and each key of one (equal keys) maps to equal values    |
 * | Set                         | same size, and each member of one has an equal member in the other  |
 * | Date                        | same time; two invalid dates are equal                               |
 * | RegExp                      | same source and flags                                                |
 * | boxed primitives            | equal primitives inside                                              |
 *
 * A Map, Set, Date or RegExp equals only a value of the same kind (never `{}`), an array only an
 * array. Comparison is structural and linear in the size of the values (Map keys and Set members
 * that are objects are matched through a canonical text), with nesting bounded by MAX_DEPTH.
 */

/** Deeper nesting than this is judged unequal (decoded outputs nest at most 200 levels). */
export const MAX_DEPTH = 1000;

type Kind = "array" | "map" | "set" | "date" | "regexp" | "boxed" | "object";

function kindOf(v: object): Kind {
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) return "array";
  if (v instanceof Map) return "map";
  if (v instanceof Set) return "set";
  if (v instanceof Date) return "date";
  if (v instanceof RegExp) return "regexp";
  if (v instanceof Number || v instanceof String || v instanceof Boolean) return "boxed";
  return "object";
}

/** Structural equality of two values, as the table above defines it. */
export function deepEqual(a: unknown, b: unknown): boolean {
  return equal(a, b, 0);
}

function equal(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (depth > MAX_DEPTH) return false;
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  switch (kind) {
    case "array": {
      const x = a as ArrayLike<unknown>;
      const y = b as ArrayLike<unknown>;
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!equal(x[i], y[i], depth + 1)) return false;
      return true;
    }
    case "date": {
      const [x, y] = [(a as Date).getTime(), (b as Date).getTime()];
      return x === y || (Number.isNaN(x) && Number.isNaN(y));
    }
    case "regexp":
      return (a as RegExp).source === (b as RegExp).source && (a as RegExp).flags === (b as RegExp).flags;
    case "boxed":
      return equal((a as { valueOf(): unknown }).valueOf(), (b as { valueOf(): unknown }).valueOf(), depth + 1);
    case "map":
      return mapsEqual(a as Map<unknown, unknown>, b as Map<unknown, unknown>, depth);
    case "set":
      return setsEqual(a as Set<unknown>, b as Set<unknown>, depth);
    case "object":
      return objectsEqual(a as Record<string, unknown>, b as Record<string, unknown>, depth);
  }
}

function objectsEqual(a: Record<string, unknown>, b: Record<string, unknown>, depth: number): boolean {
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k], depth + 1));
}

const isObject = (v: unknown): v is object => typeof v === "object" && v !== null;

// Primitive keys are found by the Map itself (SameValueZero: NaN finds NaN, 0 finds -0); object keys
// are paired by canonical text, which is equal exactly when the keys are deepEqual.
function mapsEqual(a: Map<unknown, unknown>, b: Map<unknown, unknown>, depth: number): boolean {
  if (a.size !== b.size) return false;
  return bounded(() => mapsMatch(a, b, depth));
}

function mapsMatch(a: Map<unknown, unknown>, b: Map<unknown, unknown>, depth: number): boolean {
  const objectEntries = (m: Map<unknown, unknown>) => [...m].filter(([k]) => isObject(k)).map(([k, v]) => canonical([k, v], depth + 1)).sort();
  for (const [k, v] of a) {
    if (isObject(k)) continue;
    if (!b.has(k) || !equal(v, b.get(k), depth + 1)) return false;
  }
  const [x, y] = [objectEntries(a), objectEntries(b)];
  return x.length === y.length && x.every((t, i) => t === y[i]);
}

function setsEqual(a: Set<unknown>, b: Set<unknown>, depth: number): boolean {
  if (a.size !== b.size) return false;
  return bounded(() => setsMatch(a, b, depth));
}

function setsMatch(a: Set<unknown>, b: Set<unknown>, depth: number): boolean {
  for (const v of a) if (!isObject(v) && !b.has(v)) return false;
  const objects = (s: Set<unknown>) => [...s].filter(isObject).map((v) => canonical(v, depth + 1)).sort();
  const [x, y] = [objects(a), objects(b)];
  return x.length === y.length && x.every((t, i) => t === y[i]);
}

// Canonical texts refuse nesting past MAX_DEPTH (a cycle, for one): such values are not judged equal.
function bounded(match: () => boolean): boolean {
  try {
    return match();
  } catch (e) {
    if (e instanceof RangeError) return false;
    throw e;
  }
}

/**
 * A text that is the same for two values exactly when deepEqual holds between them: kinds tagged,
 * object keys sorted with undefined values dropped, Map entries and Set members sorted by their own
 * canonical text, numbers normalised (NaN, 0 for -0).
 */
export function canonical(v: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new RangeError(`values nest deeper than ${MAX_DEPTH} levels`);
  switch (typeof v) {
    case "number":
      return Number.isNaN(v) ? "n:NaN" : `n:${v === 0 ? 0 : v}`;
    case "bigint":
      return `b:${v}`;
    case "string":
      return `s:${JSON.stringify(v)}`;
    case "boolean":
      return `t:${v}`;
    case "undefined":
      return "u";
    case "symbol":
    case "function":
      return `x:${String(v)}`;
  }
  if (v === null) return "null";
  const d = depth + 1;
  switch (kindOf(v as object)) {
    case "array":
      return `[${Array.from(v as ArrayLike<unknown>, (x) => canonical(x, d)).join(",")}]`;
    case "date":
      return `date:${Number.isNaN((v as Date).getTime()) ? "invalid" : (v as Date).getTime()}`;
    case "regexp":
      return `re:${JSON.stringify([(v as RegExp).source, (v as RegExp).flags])}`;
    case "boxed":
      return `box:${canonical((v as { valueOf(): unknown }).valueOf(), d)}`;
    case "map":
      return `map{${[...(v as Map<unknown, unknown>)].map(([k, x]) => `${canonical(k, d)}=>${canonical(x, d)}`).sort().join(",")}}`;
    case "set":
      return `set{${[...(v as Set<unknown>)].map((x) => canonical(x, d)).sort().join(",")}}`;
    case "object": {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k], d)}`).join(",")}}`;
    }
  }
}
