/**
 * Decoding of tool outputs. Inside the sandbox an output is encoded to JSON by the driver
 * (./driver.ts); values JSON cannot hold become objects tagged with "$evolve":
 *
 * | value in the tool                 | encoded                                   | decoded in the host        |
 * |-----------------------------------|-------------------------------------------|----------------------------|
 * | undefined (also array holes)      | {"$evolve":"undefined"}                   | undefined                  |
 * | NaN, Infinity, -Infinity, -0      | {"$evolve":"NaN"} ...                     | the same number            |
 * | 12n                               | {"$evolve":"bigint","value":"12"}         | 12n                        |
 * | Map / Set                         | {"$evolve":"Map","entries":[[k,v]]} ...   | Map / Set                  |
 * | Date                              | {"$evolve":"Date","value":iso or null}    | Date (invalid if null)     |
 * | RegExp                            | {"$evolve":"RegExp","source","flags"}     | RegExp                     |
 * | Error                             | {"$evolve":"Error","name","message"}      | { name, message }          |
 * | function / symbol                 | {"$evolve":"function","name"} ...         | "[Function name]" / "[Symbol(x)]" |
 * | a cycle back to an ancestor       | {"$evolve":"circular"}                    | "[Circular]"               |
 * | object with an own "$evolve" key  | {"$evolve":"object","value":{...}}        | the object                 |
 *
 * Typed arrays become arrays, boxed primitives their primitive, objects with toJSON its result,
 * other objects their own enumerable string keys (as JSON.stringify does). Equality of decoded
 * values is golden-tests/equality.ts.
 *
 * Decoding never sets a prototype: a key "__proto__" stays an own key.
 */
export function decodeOutput(json: string): unknown {
  return revive(JSON.parse(json) as unknown, 0);
}

// The encoder nests at most 200 levels; deeper input was not made by it.
const MAX_DEPTH = 256;

function revive(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error(`sandbox output nests deeper than ${MAX_DEPTH} levels`);
  const next = (x: unknown) => revive(x, depth + 1);
  if (Array.isArray(v)) return v.map(next);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const t = o["$evolve"];
  if (typeof t !== "string") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) put(out, k, next(x));
    return out;
  }
  switch (t) {
    case "undefined":
      return undefined;
    case "NaN":
      return Number.NaN;
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    case "-0":
      return -0;
    case "bigint":
      return BigInt(String(o["value"]));
    case "Map":
      return new Map((o["entries"] as [unknown, unknown][]).map(([k, x]) => [next(k), next(x)]));
    case "Set":
      return new Set((o["values"] as unknown[]).map(next));
    case "Date":
      return new Date(typeof o["value"] === "string" ? o["value"] : Number.NaN);
    case "RegExp":
      return new RegExp(String(o["source"]), String(o["flags"]));
    case "Error":
      return { name: o["name"], message: o["message"] };
    case "function":
      return `[Function ${String(o["name"]) || "(anonymous)"}]`;
    case "symbol":
      return `[${String(o["description"])}]`;
    case "circular":
      return "[Circular]";
    case "object": {
      const inner = o["value"] as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(inner)) put(out, k, next(x));
      return out;
    }
    default:
      throw new Error(`sandbox output: unknown $evolve tag "${t}"`);
  }
}

// Plain assignment of "__proto__" would set the prototype instead of a key.
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
