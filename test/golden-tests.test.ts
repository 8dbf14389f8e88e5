import { describe, expect, test } from "vitest";
import {
  checkCase,
  createAssertionRunner,
  createCustomAssertionRunner,
  deepEqual,
  loadSuite,
  prepareCustomAssertions,
  scoreSuite,
  WorkspaceInputError,
} from "../golden-tests/index.js";
import type { CaseOutcome, CaseResult, GoldenCase, GoldenSuite } from "../golden-tests/index.js";

const lines = (...ls: string[]): string => `${ls.join("\n")}\n`;
const fm = (files: Record<string, string>): Map<string, string> => new Map(Object.entries(files));

function loadError(files: Record<string, string>): WorkspaceInputError {
  try {
    loadSuite(fm(files));
  } catch (err) {
    expect(err).toBeInstanceOf(WorkspaceInputError);
    return err as WorkspaceInputError;
  }
  throw new Error("expected loadSuite to throw");
}

const ok = (id: string, output: unknown): CaseOutcome => ({ id, ok: true, output, ms: 1 });
const fail = (id: string, kind: string, error: string): CaseOutcome => ({ id, ok: false, kind, error, ms: 2 });

/** Loads a one-case suite whose single case has the given assertion lines (indented under `assert:`). */
function oneCase(assertLines: string[], extra: Record<string, string> = {}): GoldenSuite {
  return loadSuite(fm({ "golden-tests/t.yaml": lines("tool: f", "cases:", "  - id: c", "    args: [1]", "    assert:", ...assertLines.map((l) => `      ${l}`)), ...extra }));
}

async function check(assertLines: string[], outcome: unknown, extra: Record<string, string> = {}): Promise<CaseResult> {
  const suite = oneCase(assertLines, extra);
  const c = suite.cases[0]!;
  const o = typeof outcome === "object" && outcome !== null && "ok" in outcome ? (outcome as CaseOutcome) : ok("c", outcome);
  return checkCase(c, o, createCustomAssertionRunner(suite));
}

describe("loading", () => {
  test("file defaults, input/args, tags merge, splits and the documented defaults", () => {
    const suite = loadSuite(
      fm({
        "golden-tests/b.yaml": lines(
          "tool: slugify",
          "tags: [text]",
          "split: holdout",
          "cases:",
          "  - id: slug-basic",
          "    description: basic",
          "    input: Hello World",
          "    assert:",
          "      - type: equals",
          "        value: hello-world",
          "      - type: not-contains",
          "        value: ' '",
          "    tags: [basic, text]",
          "  - id: other",
          "    tool: count",
          "    args: [[1, 2], 3]",
          "    weight: 2.5",
          "    mustPass: true",
          "    split: train",
          "    assert: [{ type: close-to, value: 3 }]",
          "  - id: no-args",
          "    assert: [{ type: throws }]",
        ),
        "golden-tests/a.yml": lines("cases:", "  - id: first", "    tool: f", "    assert: [{ type: regex, value: '^a', flags: i }]"),
        "golden-tests/README.md": "not a case file",
        "other/x.yaml": "cases: [oops",
      }),
    );
    expect(suite.cases.map((c) => c.id)).toEqual(["first", "slug-basic", "other", "no-args"]);
    const [first, basic, other, noArgs] = suite.cases as [GoldenCase, GoldenCase, GoldenCase, GoldenCase];
    expect(first).toMatchObject({ file: "golden-tests/a.yml", line: 2, tool: "f", args: [], split: "train", weight: 1, mustPass: false, tags: [] });
    expect(first.assert[0]).toEqual({ type: "regex", negate: false, value: "^a", flags: "i", line: 4 });
    expect(basic).toMatchObject({ line: 5, tool: "slugify", args: ["Hello World"], description: "basic", tags: ["text", "basic"], split: "holdout" });
    expect(basic.assert.map((a) => [a.type, a.negate, a.line])).toEqual([["equals", false, 9], ["contains", true, 11]]);
    expect(other).toMatchObject({ tool: "count", args: [[1, 2], 3], weight: 2.5, mustPass: true, split: "train" });
    expect(other.assert[0]).toMatchObject({ type: "close-to", tolerance: 1e-9 });
    expect(noArgs).toMatchObject({ args: [], tool: "slugify", split: "holdout" });
    expect(suite.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("an empty suite is allowed", () => {
    const suite = loadSuite(fm({ "agent/tools/x.ts": "export const x = 1;" }));
    expect(suite.cases).toEqual([]);
    expect(loadSuite(fm({ "golden-tests/t.yaml": "cases: []\n" })).cases).toEqual([]);
  });

  test("the suite folder can be another one", () => {
    const suite = loadSuite(fm({ "specs/t.yaml": lines("cases:", "  - { id: a, tool: f, assert: [{ type: equals, value: 1 }] }") }), "specs");
    expect(suite.cases.map((c) => c.file)).toEqual(["specs/t.yaml"]);
  });
});

describe("load errors name file, line, column and field", () => {
  const base = ["tool: f", "cases:", "  - id: a", "    assert:"];
  const err = (...assertLines: string[]) => loadError({ "golden-tests/t.yaml": lines(...base, ...assertLines) });

  test("unknown assertion type, in the documented message format", () => {
    const e = err("      - type: equals", "        value: 1", "      - type: equal", "        value: 1");
    expect(e.message).toBe(
      'golden-tests/t.yaml:7:15: cases[0].assert[1].type: unknown assertion type "equal" (known: equals, contains, regex, close-to, json-schema, javascript, throws; any may be prefixed "not-")',
    );
    expect([e.file, e.line, e.column, e.field]).toEqual(["golden-tests/t.yaml", 7, 15, "cases[0].assert[1].type"]);
    expect(err("      - type: not-not-equals", "        value: 1").message).toMatch(/^golden-tests\/t\.yaml:5:15: cases\[0\]\.assert\[0\]\.type: unknown assertion type "not-not-equals"/);
  });

  test("invalid YAML syntax", () => {
    const e = loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    args: [1, 2", "    tool: f") });
    expect(e.message).toMatch(/^golden-tests\/t\.yaml:4:\d+: invalid YAML: /);
    const dup = loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    id: b") });
    expect(dup.message).toMatch(/^golden-tests\/t\.yaml:3:5: invalid YAML: Map keys must be unique/);
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: *nope") }).message).toMatch(/^golden-tests\/t\.yaml:2:9: invalid YAML: alias \*nope/);
  });

  test("unknown keys point at the key and list the allowed ones", () => {
    expect(loadError({ "golden-tests/t.yaml": lines("tool: f", "cases:", "  - id: a", "    asert: []", "    assert: [{ type: throws }]") }).message).toMatch(
      /^golden-tests\/t\.yaml:4:5: cases\[0\]\.asert: unknown key "asert" \(allowed: id, description, tool, args, input, agent, assert, weight, mustPass, tags, split, timeoutMs\)$/,
    );
    expect(loadError({ "golden-tests/t.yaml": lines("tol: f", "cases: []") }).message).toMatch(/^golden-tests\/t\.yaml:1:1: tol: unknown key "tol"/);
    expect(err("      - type: equals", "        value: 1", "        tolerance: 2").message).toBe(
      'golden-tests/t.yaml:7:9: cases[0].assert[0].tolerance: "tolerance" only applies to close-to, not equals',
    );
    expect(err("      - type: equals", "        value: 1", "        extra: 2").message).toMatch(/^golden-tests\/t\.yaml:7:9: cases\[0\]\.assert\[0\]\.extra: unknown key "extra"/);
  });

  test("wrong types and values point at the value", () => {
    const e = loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    tool: f", "    weight: heavy", "    assert: [{ type: throws }]") });
    expect(e.message).toBe('golden-tests/t.yaml:4:13: cases[0].weight: must be a number, got string "heavy"');
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    tool: f", "    weight: 0", "    assert: [{ type: throws }]") }).message).toBe(
      "golden-tests/t.yaml:4:13: cases[0].weight: must be > 0; got 0",
    );
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    tool: f", "    split: test", "    assert: [{ type: throws }]") }).message).toBe(
      'golden-tests/t.yaml:4:12: cases[0].split: must be one of "train", "holdout"; got string "test"',
    );
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: 7", "    tool: f", "    assert: [{ type: throws }]") }).message).toBe(
      "golden-tests/t.yaml:2:9: cases[0].id: must be a string, got number 7",
    );
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    tool: my-tool", "    assert: [{ type: throws }]") }).message).toMatch(
      /^golden-tests\/t\.yaml:3:11: cases\[0\]\.tool: string "my-tool" is not allowed: a tool id is the name of an exported function/,
    );
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    tool: f", "    assert: []") }).message).toBe(
      "golden-tests/t.yaml:4:13: cases[0].assert: must have at least 1 item(s)",
    );
    expect(loadError({ "golden-tests/t.yaml": "# nothing yet\n" }).message).toBe("golden-tests/t.yaml:1:1: file is empty; expected a mapping");
    expect(loadError({ "golden-tests/t.yaml": lines("- id: a") }).message).toBe("golden-tests/t.yaml:1:1: must be a mapping, got a list");
  });

  test("missing fields point at the enclosing item", () => {
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "  - id: a", "    tool: f") }).message).toBe("golden-tests/t.yaml:2:5: cases[0].assert: missing required field");
    expect(loadError({ "golden-tests/t.yaml": lines("cases:", "", "  - id: a", "    assert: [{ type: throws }]") }).message).toBe(
      "golden-tests/t.yaml:3:5: cases[0].tool: missing required field (and the file sets no default `tool`)",
    );
    expect(err("      - type: contains").message).toBe("golden-tests/t.yaml:5:9: cases[0].assert[0].value: missing required field (contains compares against value)");
    expect(err("      - value: 1").message).toBe("golden-tests/t.yaml:5:9: cases[0].assert[0].type: missing required field");
    expect(err("      - type: javascript").message).toMatch(/^golden-tests\/t\.yaml:5:9: cases\[0\]\.assert\[0\]\.file: missing required field/);
  });

  test("args and input together", () => {
    const e = loadError({ "golden-tests/t.yaml": lines("tool: f", "cases:", "  - id: a", "    args: [1]", "    input: 1", "    assert: [{ type: throws }]") });
    expect(e.message).toBe("golden-tests/t.yaml:5:5: cases[0].input: use either `args` (a list) or `input` (one argument), not both");
  });

  test("invalid regex and flags", () => {
    expect(err("      - type: regex", "        value: '(unclosed'").message).toMatch(/^golden-tests\/t\.yaml:6:16: cases\[0\]\.assert\[0\]\.value: invalid regular expression: /);
    expect(err("      - type: regex", "        value: a", "        flags: q").message).toMatch(/^golden-tests\/t\.yaml:7:16: cases\[0\]\.assert\[0\]\.flags: invalid regular expression: /);
    expect(err("      - type: regex", "        value: 3").message).toBe("golden-tests/t.yaml:6:16: cases[0].assert[0].value: must be a string (a regular expression pattern)");
  });

  test("invalid JSON schema", () => {
    const e = err("      - type: json-schema", "        value:", "          type: objekt");
    expect(e.message).toMatch(/^golden-tests\/t\.yaml:7:11: cases\[0\]\.assert\[0\]\.value: invalid JSON schema: /);
    expect(err("      - type: json-schema", "        value: { typo: 1 }").message).toMatch(/^golden-tests\/t\.yaml:6:16: .*invalid JSON schema: strict mode: unknown keyword: "typo"/);
  });

  test("custom assertion file missing, outside the folder, or not JavaScript", () => {
    expect(err("      - type: javascript", "        file: assertions/nope.js").message).toBe(
      "golden-tests/t.yaml:6:15: cases[0].assert[0].file: custom assertion file not found: golden-tests/assertions/nope.js",
    );
    expect(err("      - type: javascript", "        file: ../agent/x.js").message).toMatch(/^golden-tests\/t\.yaml:6:15: .*points outside golden-tests\//);
    expect(err("      - type: javascript", "        file: a.ts").message).toMatch(/^golden-tests\/t\.yaml:6:15: .*must be a JavaScript module/);
    expect(err("      - type: javascript", "        file: a.js", "        value: 1").message).toMatch(/^golden-tests\/t\.yaml:7:9: cases\[0\]\.assert\[0\]\.value: javascript takes no value/);
  });

  test("duplicate ids across two files name both places", () => {
    const e = loadError({
      "golden-tests/a.yaml": lines("tool: f", "cases:", "  - id: one", "    assert: [{ type: throws }]", "  - id: shared", "    assert: [{ type: throws }]"),
      "golden-tests/sub/b.yaml": lines("tool: f", "cases:", "", "  - id: shared", "    assert: [{ type: throws }]"),
    });
    expect(e.message).toBe('golden-tests/sub/b.yaml:4:9: cases[0].id: duplicate case id "shared" (first defined at golden-tests/a.yaml:5:9)');
  });
});

describe("suite hash", () => {
  const files = {
    "golden-tests/t.yaml": lines("tool: f", "cases:", "  - id: a", "    assert: [{ type: javascript, file: assertions/pos.js }]"),
    "golden-tests/assertions/pos.js": "export default (o) => o > 0;\n",
  };
  test("changes when an assertion file changes, not when other folders or map order change", () => {
    const h = loadSuite(fm(files)).hash;
    expect(loadSuite(fm({ ...files, "golden-tests/assertions/pos.js": "export default (o) => o >= 0;\n" })).hash).not.toBe(h);
    expect(loadSuite(fm({ ...files, "golden-tests/notes.txt": "x" })).hash).not.toBe(h);
    expect(loadSuite(fm({ ...files, "agent/tools/f.ts": "export const f = 1;" })).hash).toBe(h);
    const reversed = new Map([...fm(files)].reverse());
    expect(loadSuite(reversed).hash).toBe(h);
  });
});

describe("assertions", () => {
  test("equals: deep, key order irrelevant", async () => {
    expect((await check(["- { type: equals, value: { a: [1, { b: 2 }], c: x } }"], { c: "x", a: [1, { b: 2 }] })).pass).toBe(true);
    const r = await check(["- { type: equals, value: { a: 1 } }"], { a: 2 });
    expect(r).toMatchObject({ pass: false, score: 0, reason: 'assert[0] equals: expected {"a":1}, got {"a":2}' });
    expect((await check(["- { type: equals, value: [1, 2] }"], [2, 1])).pass).toBe(false);
    expect((await check(["- { type: not-equals, value: 1 }"], 2)).pass).toBe(true);
    expect((await check(["- { type: not-equals, value: 1 }"], 1)).pass).toBe(false);
  });

  test("contains: substring and deep array element, and not-contains", async () => {
    expect((await check(["- { type: contains, value: ell }"], "hello")).pass).toBe(true);
    expect((await check(["- { type: contains, value: xyz }"], "hello")).pass).toBe(false);
    expect((await check(["- { type: contains, value: { k: 1 } }"], [{ k: 2 }, { k: 1 }])).pass).toBe(true);
    expect((await check(["- { type: contains, value: { k: 3 } }"], [{ k: 2 }])).pass).toBe(false);
    expect((await check(["- { type: not-contains, value: ' ' }"], "hello-world")).pass).toBe(true);
    const r = await check(["- { type: not-contains, value: ' ' }"], "hello world");
    expect(r.pass).toBe(false);
    expect(r.reason).toBe('assert[0] not-contains: must not hold, but "hello world" contains " "');
    // A wrong output type fails even when negated: the assertion could not judge.
    expect((await check(["- { type: not-contains, value: x }"], 42)).pass).toBe(false);
  });

  test("regex with flags; non-string output fails both ways", async () => {
    expect((await check(["- { type: regex, value: '^[a-z-]+$' }"], "hello-world")).pass).toBe(true);
    expect((await check(["- { type: regex, value: '^[a-z-]+$' }"], "Hello")).pass).toBe(false);
    expect((await check(["- { type: regex, value: '^[a-z]+$', flags: i }"], "Hello")).pass).toBe(true);
    expect((await check(["- { type: not-regex, value: '\\d' }"], "abc")).pass).toBe(true);
    expect((await check(["- { type: not-regex, value: '\\d' }"], "a1")).pass).toBe(false);
    const r = await check(["- { type: not-regex, value: x }"], 5);
    expect(r).toMatchObject({ pass: false, reason: "assert[0] not-regex: regex needs a string output, got number 5" });
  });

  test("close-to with default and explicit tolerance", async () => {
    expect((await check(["- { type: close-to, value: 3.14, tolerance: 0.01 }"], 3.1415)).pass).toBe(true);
    expect((await check(["- { type: close-to, value: 3.14, tolerance: 0.0001 }"], 3.1415)).pass).toBe(false);
    expect((await check(["- { type: close-to, value: 0.3 }"], 0.1 + 0.2)).pass).toBe(true);
    expect((await check(["- { type: close-to, value: 0.3 }"], 0.31)).pass).toBe(false);
    expect((await check(["- { type: not-close-to, value: 1 }"], 2)).pass).toBe(true);
    expect((await check(["- { type: close-to, value: 1 }"], "1")).pass).toBe(false);
  });

  test("json-schema", async () => {
    const schema = "- { type: json-schema, value: { type: object, required: [a], properties: { a: { type: integer } } } }";
    expect((await check([schema], { a: 1 })).pass).toBe(true);
    const r = await check([schema], { b: 1 });
    expect(r.pass).toBe(false);
    expect(r.reason).toMatch(/does not match the schema: \(root\) must have required property 'a'/);
    expect((await check(["- { type: not-json-schema, value: { type: string } }"], 3)).pass).toBe(true);
  });

  test("throws: any throw, message substring, returned value, other failure kinds", async () => {
    expect((await check(["- type: throws"], fail("c", "throw", "Error: bad input"))).pass).toBe(true);
    expect((await check(["- { type: throws, value: bad input }"], fail("c", "throw", "Error: bad input"))).pass).toBe(true);
    const wrong = await check(["- { type: throws, value: overflow }"], fail("c", "throw", "Error: bad input"));
    expect(wrong).toMatchObject({ pass: false, reason: 'assert[0] throws: threw "Error: bad input", which does not contain "overflow"' });
    expect((await check(["- type: throws"], "fine")).reason).toBe('assert[0] throws: expected the call to throw, it returned "fine"');
    const timeout = await check(["- type: throws"], fail("c", "timeout", "exceeded 1000 ms"));
    expect(timeout).toMatchObject({ pass: false, score: 0 });
    expect(timeout.reason).toMatch(/call failed with timeout, not a throw/);
    expect((await check(["- type: not-throws"], "fine")).pass).toBe(true);
    expect((await check(["- type: not-throws"], fail("c", "throw", "boom"))).pass).toBe(false);
    expect((await check(["- type: not-throws"], fail("c", "timeout", "slow"))).pass).toBe(false);
  });

  test("a failed call fails every output assertion and scores 0, even negated ones", async () => {
    const r = await check(["- { type: equals, value: 1 }", "- { type: not-contains, value: x }"], fail("c", "crash", "worker died\nat line 2"));
    expect(r).toMatchObject({ pass: false, score: 0, ms: 2 });
    expect(r.reason).toBe("assert[0] equals: call failed (crash): worker died at line 2 (+1 more failing)");
    expect(r.assertions.map((a) => a.pass)).toEqual([false, false]);
  });

  test("partial credit: the case score is the fraction of assertions that pass", async () => {
    const r = await check(["- { type: contains, value: a }", "- { type: contains, value: b }", "- { type: contains, value: c }", "- { type: contains, value: z }"], "abc");
    expect(r).toMatchObject({ pass: false, score: 0.75 });
    expect(r.assertions.map((a) => a.score)).toEqual([1, 1, 1, 0]);
    expect((await check(["- type: throws", "- { type: equals, value: 1 }"], fail("c", "throw", "x"))).score).toBe(0.5);
  });

  test("javascript: boolean, object with score, config and case in ctx, negation", async () => {
    const mods = {
      "golden-tests/assertions/is-sorted.js": "export default (o) => Array.isArray(o) && o.every((x, i) => i === 0 || o[i - 1] <= x);\n",
      "golden-tests/assertions/at-least.js": [
        "export default async (o, ctx) => {",
        "  const ok = o >= ctx.config.min;",
        "  return { pass: ok, score: ok ? 1 : o / ctx.config.min, reason: `${ctx.case.id}/${ctx.case.tool}: ${o} vs ${ctx.config.min}` };",
        "};",
      ].join("\n"),
      "golden-tests/assertions/mutates.js": "export default (o, ctx) => { o.push(99); ctx.case.args.push(1); return true; };\n",
    };
    expect((await check(["- { type: javascript, file: assertions/is-sorted.js }"], [1, 2, 3], mods)).pass).toBe(true);
    const unsorted = await check(["- { type: javascript, file: assertions/is-sorted.js }"], [3, 1], mods);
    expect(unsorted).toMatchObject({ pass: false, reason: "assert[0] javascript: golden-tests/assertions/is-sorted.js returned false" });
    expect((await check(["- { type: not-javascript, file: ./assertions/is-sorted.js }"], [3, 1], mods)).pass).toBe(true);
    const partial = await check(["- { type: javascript, file: assertions/at-least.js, config: { min: 4 } }"], 3, mods);
    expect(partial).toMatchObject({ pass: false, score: 0.75, reason: "assert[0] javascript: c/f: 3 vs 4" });
    expect((await check(["- { type: javascript, file: assertions/at-least.js, config: { min: 4 } }"], 5, mods)).score).toBe(1);
    // Mutating output or context inside one assertion does not leak into the next one or the case.
    const suite = oneCase(["- { type: javascript, file: assertions/mutates.js }", "- { type: equals, value: [1] }"], mods);
    const r = await checkCase(suite.cases[0]!, ok("c", [1]), createCustomAssertionRunner(suite));
    expect(r.pass).toBe(true);
    expect(suite.cases[0]!.args).toEqual([1]);
  });

  test("javascript: a throwing or misbehaving assertion fails with its message, even negated", async () => {
    const mods = {
      "golden-tests/assertions/throws.js": "export default () => { throw new Error('assertion exploded'); };\n",
      "golden-tests/assertions/weird.js": "export default () => 'yes';\n",
      "golden-tests/assertions/score.js": "export default () => ({ pass: true, score: 7 });\n",
      "golden-tests/assertions/nodefault.js": "export const x = 1;\n",
    };
    const thrown = await check(["- { type: not-javascript, file: assertions/throws.js }"], 1, mods);
    expect(thrown).toMatchObject({ pass: false, reason: "assert[0] not-javascript: golden-tests/assertions/throws.js threw: assertion exploded" });
    expect((await check(["- { type: javascript, file: assertions/weird.js }"], 1, mods)).reason).toMatch(/returned "yes"; expected a boolean or/);
    expect((await check(["- { type: javascript, file: assertions/score.js }"], 1, mods)).reason).toMatch(/returned score 7; expected a number in 0\.\.1/);
    expect((await check(["- { type: javascript, file: assertions/nodefault.js }"], 1, mods)).reason).toMatch(/must `export default` a function/);
  });

  test("javascript: a never-settling assertion fails after the runner's timeout", async () => {
    const suite = oneCase(["- { type: javascript, file: hang.js }"], { "golden-tests/hang.js": "export default () => new Promise(() => {});\n" });
    const r = await checkCase(suite.cases[0]!, ok("c", 1), createAssertionRunner(suite.customAssertions, { timeoutMs: 50 }));
    expect(r.reason).toMatch(/hang\.js threw: did not settle within 50 ms/);
  });

  test("prepareCustomAssertions reports a syntax error with its line", async () => {
    const suite = oneCase(["- { type: javascript, file: bad.js }"], { "golden-tests/bad.js": "const a = 1;\n\nexport default (o) => { return o >>> ; };\n" });
    const e = await prepareCustomAssertions(suite).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(WorkspaceInputError);
    expect((e as Error).message).toMatch(/^golden-tests\/bad\.js:3:\d+: syntax error: /);
    const good = oneCase(["- { type: javascript, file: good.js }"], { "golden-tests/good.js": "export default () => true;\n" });
    await expect(prepareCustomAssertions(good)).resolves.toBeUndefined();
  });

  test("deepEqual treats undefined keys as absent and NaN as equal", () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(deepEqual([1], { 0: 1 })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });
});

describe("scoring", () => {
  const suite = loadSuite(
    fm({
      "golden-tests/t.yaml": lines(
        "tool: f",
        "cases:",
        "  - { id: a, weight: 3, assert: [{ type: equals, value: 1 }] }",
        "  - { id: b, weight: 1, mustPass: true, assert: [{ type: equals, value: 1 }] }",
        "  - { id: c, weight: 1, assert: [{ type: equals, value: 1 }, { type: equals, value: 1 }, { type: equals, value: 2 }, { type: equals, value: 2 }] }",
        "  - { id: h1, split: holdout, weight: 2, assert: [{ type: equals, value: 1 }] }",
        "  - { id: h2, split: holdout, mustPass: true, assert: [{ type: equals, value: 1 }] }",
      ),
    }),
  );
  const runner = createCustomAssertionRunner(suite);
  const run = (outputs: Record<string, unknown>) =>
    Promise.all(suite.cases.filter((c) => c.id in outputs).map((c) => checkCase(c, ok(c.id, outputs[c.id]), runner)));

  test("weighted train score, holdout score, counts and mustPass", async () => {
    const s = scoreSuite(suite, await run({ a: 1, b: 0, c: 1, h1: 1, h2: 0 }));
    // train: (3*1 + 1*0 + 1*0.5) / 5 = 0.7; holdout: (2*1 + 1*0) / 3
    expect(s.score).toBe(0.7);
    expect(s.holdout).toBe(0.666667);
    expect([s.passed, s.failed, s.total]).toEqual([2, 3, 5]);
    expect(s.mustPassFailed).toEqual(["b", "h2"]);
    expect(s.results.map((r) => r.id)).toEqual(["a", "b", "c", "h1", "h2"]);
  });

  test("all pass scores 1; a case without a result counts as failed; no holdout gives null", async () => {
    expect(scoreSuite(suite, await run({ a: 1, b: 1, c: 1, h1: 1, h2: 1 })).score).toBe(0.9);
    const s = scoreSuite(suite, await run({ a: 1, h1: 1 }));
    expect(s.score).toBe(0.6);
    expect(s.results[1]).toMatchObject({ id: "b", pass: false, reason: "no result (the case was not run)" });
    expect(s.mustPassFailed).toEqual(["b", "h2"]);
    const trainOnly = loadSuite(fm({ "golden-tests/t.yaml": lines("tool: f", "cases:", "  - { id: a, assert: [{ type: equals, value: 1 }] }") }));
    const r = scoreSuite(trainOnly, [await checkCase(trainOnly.cases[0]!, ok("a", 1), runner)]);
    expect([r.score, r.holdout]).toEqual([1, null]);
    expect(() => scoreSuite(trainOnly, [{ id: "zzz", pass: true, score: 1, reason: "ok", assertions: [], ms: 0 }])).toThrow(/zzz/);
  });
});
