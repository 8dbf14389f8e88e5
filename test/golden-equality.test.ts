/**
 * Equality of outputs, table-driven: deepEqual on its own, and the whole path a value takes in a
 * golden run (made by a tool in the sandbox, encoded, decoded in the host, judged by `equals`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonical, deepEqual } from "../golden-tests/equality.js";
import { buildBundle } from "../sandbox/build.js";
import { createSandbox, type Sandbox } from "../sandbox/pool.js";
import { checkCase, createAssertionRunner, loadSuite } from "../golden-tests/index.js";

const obj = (entries: [string, unknown][]) => Object.fromEntries(entries);

// [name, a, b, equal?]
const TABLE: [string, unknown, unknown, boolean][] = [
  ["Map vs {}", new Map([[1, 2]]), {}, false],
  ["Set vs {}", new Set([1]), {}, false],
  ["Date vs {}", new Date(0), {}, false],
  ["RegExp vs {}", /a/g, {}, false],
  ["empty Map vs empty object", new Map(), {}, false],
  ["empty Set vs empty array", new Set(), [], false],
  ["Map vs array of entries", new Map([[1, 2]]), [[1, 2]], false],
  ["Map vs Map, same entries in another order", new Map<unknown, unknown>([[1, "a"], ["k", [2]]]), new Map<unknown, unknown>([["k", [2]], [1, "a"]]), true],
  ["Map vs Map, one value differs", new Map([[1, "a"]]), new Map([[1, "b"]]), false],
  ["Map vs Map, object keys equal by structure", new Map([[{ a: 1 }, "x"]]), new Map([[{ a: 1 }, "x"]]), true],
  ["Map vs Map, object keys differ", new Map([[{ a: 1 }, "x"]]), new Map([[{ a: 2 }, "x"]]), false],
  ["Map with NaN key", new Map([[Number.NaN, 1]]), new Map([[Number.NaN, 1]]), true],
  ["Set vs Set, other order", new Set([1, "a", 3]), new Set([3, 1, "a"]), true],
  ["Set vs Set, object members by structure", new Set([{ a: [1] }, { b: 2 }]), new Set([{ b: 2 }, { a: [1] }]), true],
  ["Set vs Set, different member", new Set([1, 2]), new Set([1, 3]), false],
  ["Set vs Set, different size", new Set([1]), new Set([1, 2]), false],
  ["Date vs Date, same time", new Date(5), new Date(5), true],
  ["Date vs Date, other time", new Date(5), new Date(6), false],
  ["invalid Date vs invalid Date", new Date(Number.NaN), new Date("nope"), true],
  ["Date vs its ISO string", new Date(0), new Date(0).toISOString(), false],
  ["RegExp vs RegExp", /a+/g, /a+/g, true],
  ["RegExp, other flags", /a+/g, /a+/i, false],
  ["bigint vs same bigint", 12n, 12n, true],
  ["bigint vs number", 12n, 12, false],
  ["NaN vs NaN", Number.NaN, Number.NaN, true],
  ["0 vs -0 (as in JSON)", 0, -0, true],
  ["undefined value vs missing key", obj([["a", 1], ["b", undefined]]), { a: 1 }, true],
  ["undefined vs null", undefined, null, false],
  ["[undefined] vs []", [undefined], [], false],
  ["[undefined] vs [null]", [undefined], [null], false],
  ["array vs object with index keys", [1], { 0: 1 }, false],
  ["typed array vs array", new Int8Array([1, 2]), [1, 2], true],
  ["nested Map in object", { m: new Map([["k", new Set([1])]]) }, { m: new Map([["k", new Set([1])]]) }, true],
  ["nested Map in object, inner differs", { m: new Map([["k", new Set([1])]]) }, { m: new Map([["k", new Set([2])]]) }, false],
  ["boxed string vs boxed string", new String("a"), new String("a"), true],
  ["boxed string vs string", new String("a"), "a", false],
  ["null vs {}", null, {}, false],
];

describe("deepEqual", () => {
  it.each(TABLE)("%s", (_name, a, b, equal) => {
    expect(deepEqual(a, b)).toBe(equal);
    expect(deepEqual(b, a)).toBe(equal);
  });

  it("canonical text is equal exactly when deepEqual holds", () => {
    for (const [name, a, b, equal] of TABLE) expect([name, canonical(a) === canonical(b)]).toEqual([name, equal]);
  });

  it("cycles and absurd nesting are judged unequal, not a crash or a hang", () => {
    const a: Record<string, unknown> = {};
    a["self"] = a;
    const b: Record<string, unknown> = {};
    b["self"] = b;
    expect(deepEqual(a, b)).toBe(false);
    expect(deepEqual(new Set([a]), new Set([b]))).toBe(false);
  });
});

describe("equality across the sandbox codec and the equals assertion", () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox({ workers: 1, timeoutMs: 1000, memoryMb: 64 });
  });
  afterAll(async () => {
    await sandbox.destroy();
  });

  // [tool body (returns the value), YAML of the expected value, should the case pass?]
  const CASES: [string, string, boolean][] = [
    ["new Map([[1, 2]])", "{}", false],
    ["new Set([1])", "{}", false],
    ["new Date(0)", "{}", false],
    ["new Date(0)", '"1970-01-01T00:00:00.000Z"', false],
    ["/a/g", "{}", false],
    ["new Map()", "{}", false],
    ["12n", "12", false],
    ["NaN", ".nan", true],
    ["-0", "0", true],
    ["({ a: 1, b: undefined })", "{ a: 1 }", true],
    ["[undefined]", "[null]", false],
    ["[1, , 3]", "[1, null, 3]", false],
    ["new Error('bad')", '{ name: Error, message: bad }', true],
    ['({ "$evolve": "Map", entries: [] })', '{ "$evolve": "Map", entries: [] }', true],
    ["JSON.parse('{\"__proto__\": {\"polluted\": 1}}')", "{ __proto__: { polluted: 1 } }", true],
    ["{ toJSON() { return [1, 2]; } }", "[1, 2]", true],
    ["Object.assign(Object.create({ inherited: 1 }), { own: 2 })", "{ own: 2 }", true],
  ];

  it.each(CASES)("a tool returning %s judged equal to %s: %s", async (body, yaml, pass) => {
    const built = await buildBundle(new Map([["agent/tools/t.ts", `export function f(): unknown { return ${body}; }`]]));
    if (!built.ok) throw new Error(built.reason);
    const [outcome] = await sandbox.run(built.code, [{ id: "c", tool: "f", args: [] }]);
    const suite = loadSuite(new Map([["golden-tests/c.yaml", `cases:\n  - id: c\n    tool: f\n    args: []\n    assert: [{ type: equals, value: ${yaml} }]\n`]]));
    const r = await checkCase(suite.cases[0]!, outcome!, createAssertionRunner(new Map()));
    expect([r.pass, r.reason]).toEqual([pass, pass ? "ok" : expect.stringMatching(/^assert\[0\] equals: expected /)]);
    // Decoding never sets a prototype, whatever the keys.
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});
