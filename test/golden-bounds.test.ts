/**
 * Judging is bounded whatever the output: user regexes, JSON schemas and custom assertions run in the
 * check thread under a time limit, text from the sandbox is folded in linear time and cut, and a
 * check that misses its limit fails its case with a reason naming the case and the assertion while
 * the other cases are judged as usual. The check thread is the real one (dist/golden-tests).
 */
import { describe, expect, it } from "vitest";
import { checkCase, createAssertionRunner, loadSuite, type CaseOutcome } from "../golden-tests/index.js";
import { CHECK_TIME_LIMIT_MS } from "../golden-tests/check-thread.js";
import { MAX_REASON_CHARS } from "../golden-tests/custom-module.js";
import { capText, foldLines, oneLine } from "../kernel/text.js";

const ok = (id: string, output: unknown): CaseOutcome => ({ id, ok: true, output, ms: 1 });

function suiteOf(yaml: string, modules: Record<string, string> = {}) {
  const files = new Map<string, string>([["golden-tests/cases.yaml", yaml]]);
  for (const [k, v] of Object.entries(modules)) files.set(`golden-tests/${k}`, v);
  return loadSuite(files);
}

describe("linear text handling", () => {
  it("folds line breaks inside whitespace runs, keeps other runs, trims", () => {
    expect(foldLines("  a \n\t b  c\r\n d  ")).toBe("a b  c d");
    expect(foldLines("x" + " ".repeat(100_000) + "y")).toBe("x" + " ".repeat(100_000) + "y");
    // 100,000 spaces then a break: the quadratic /\s*\n\s*/ took 15 s on this.
    expect(foldLines("x" + " ".repeat(100_000) + "\n" + " ".repeat(100_000) + "y")).toBe("x y");
  });

  it("cuts to a stated size with the full length noted, never splitting a surrogate pair", () => {
    expect(capText("short", 10)).toBe("short");
    const cut = capText("é".repeat(50) + "😀".repeat(100), 80);
    expect(cut.length).toBeLessThanOrEqual(80);
    expect(cut).toMatch(/… \(250 characters\)$/);
    // No lone surrogate: encodeURIComponent throws on one.
    expect(() => encodeURIComponent(cut)).not.toThrow();
    const long = oneLine("a\n".repeat(2_000_000), 100);
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long).toMatch(/^a a a .*… \(4000000 characters\)$/);
  });
});

describe("bounded checks", () => {
  it("a catastrophic regex fails its case naming case and assertion; the other cases are judged", async () => {
    const suite = suiteOf(`cases:
  - id: evil
    tool: t
    args: []
    assert:
      - { type: equals, value: "${"a".repeat(33)}c" }
      - { type: regex, value: "^(a+)+b$" }
  - id: fine
    tool: t
    args: []
    assert: [{ type: regex, value: "^a+c$" }]
`);
    const runner = createAssertionRunner(suite.customAssertions);
    const output = `${"a".repeat(33)}c`;
    const [evil, fine] = await Promise.all(suite.cases.map((c) => checkCase(c, ok(c.id, output), runner)));
    expect(evil!.pass).toBe(false);
    expect(evil!.score).toBe(0.5);
    expect(evil!.reason).toBe(`assert[1] regex: /^(a+)+b$/ on the output of case evil (34 characters): did not finish within ${CHECK_TIME_LIMIT_MS} ms`);
    expect(fine!.pass).toBe(true);
    // A negated check that could not run fails too: not knowing is not "does not match".
    const negated = suiteOf(`cases:
  - id: evil-negated
    tool: t
    args: []
    assert: [{ type: not-regex, value: "^(a+)+b$" }]
`);
    expect((await checkCase(negated.cases[0]!, ok("evil-negated", output), runner)).pass).toBe(false);
  });

  it("a JSON schema whose pattern backtracks is bounded the same way", async () => {
    const suite = suiteOf(`cases:
  - id: schema
    tool: t
    args: []
    assert:
      - type: json-schema
        value: { type: string, pattern: "^(a|aa)+$" }
`);
    const r = await checkCase(suite.cases[0]!, ok("schema", `${"a".repeat(60)}!`), createAssertionRunner(suite.customAssertions));
    expect(r.pass).toBe(false);
    expect(r.reason).toBe(`assert[0] json-schema: the schema check on the output of case schema: did not finish within ${CHECK_TIME_LIMIT_MS} ms`);
  });

  it("a custom assertion that loops on some output fails after its time limit, and the next one runs", async () => {
    const modules = {
      "loops.js": 'export default function (output) { if (output === "hang") for (;;) {} return output === "fine"; }',
      "huge.js": 'export default function (output) { return { pass: false, reason: "why ".repeat(100000) }; }',
    };
    const suite = suiteOf(
      `cases:
  - id: hangs
    tool: t
    args: []
    assert: [{ type: javascript, file: loops.js }]
  - id: after
    tool: t
    args: []
    assert: [{ type: javascript, file: loops.js }]
  - id: huge-reason
    tool: t
    args: []
    assert: [{ type: javascript, file: huge.js }]
`,
      modules,
    );
    const runner = createAssertionRunner(suite.customAssertions, { timeoutMs: 200 });
    const [hangs, after, huge] = await Promise.all([
      checkCase(suite.cases[0]!, ok("hangs", "hang"), runner),
      checkCase(suite.cases[1]!, ok("after", "fine"), runner),
      checkCase(suite.cases[2]!, ok("huge-reason", 1), runner),
    ]);
    expect(hangs!.reason).toBe("assert[0] javascript: golden-tests/loops.js did not finish within 700 ms");
    expect([after!.pass, after!.reason]).toEqual([true, "ok"]);
    expect(huge!.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS + 40);
    expect(huge!.reason).toMatch(/why why .*… \(400000 characters\)$/);
  });

  it("a failed call's huge error message becomes a short reason (the sandbox cuts it; judging folds linearly)", async () => {
    const suite = suiteOf(`cases:
  - id: threw
    tool: t
    args: []
    assert: [{ type: equals, value: 1 }, { type: throws, value: "y" }]
`);
    const error = "Error: x" + " \n".repeat(500_000) + "y";
    const r = await checkCase(suite.cases[0]!, { id: "threw", ok: false, kind: "throw", error, ms: 1 }, createAssertionRunner(suite.customAssertions));
    expect(r.assertions[1]!.pass).toBe(true);
    expect(r.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS + 40);
    expect(r.reason).toBe("assert[0] equals: call failed (throw): Error: x… (1000009 characters)");
  });
});
