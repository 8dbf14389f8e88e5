import { describe, expect, test } from "vitest";
import { createTypeChecker, type CheckResult } from "../evolution/typecheck.js";

const BASE: ReadonlyMap<string, string> = new Map([
  [
    "agent/tools/util.ts",
    'export function width(s: string): number {\n  return s.length;\n}\nexport const SEP = "-";\n',
  ],
  [
    "agent/tools/mid.ts",
    // re-exports util's inferred type: a change in util can break files that only import mid
    'import { width } from "./util.js";\nexport const measure = (s: string) => width(s);\n',
  ],
  [
    "agent/tools/pad.ts",
    [
      'import { width, SEP } from "./util.js";',
      'import params from "../params.json";',
      'import intro from "../prompts/intro.md";',
      "export function pad(s: string): string {",
      "  const n: number = width(s) + params.extra;",
      "  return s + SEP.repeat(n) + intro.length;",
      "}",
      "",
    ].join("\n"),
  ],
  ["agent/tools/top.ts", 'import { measure } from "./mid.js";\nexport const twice = (s: string): number => measure(s) * 2;\n'],
  ["agent/params.json", '{ "extra": 2 }\n'],
  ["agent/prompts/intro.md", "Hello\n"],
  ["golden-tests/pad.yaml", "cases: []\n"],
]);

function withChange(path: string, text: string | undefined): Map<string, string> {
  const out = new Map(BASE);
  if (text === undefined) out.delete(path);
  else out.set(path, text);
  return out;
}

function diagnosticsOf(r: CheckResult): string[] {
  return r.ok ? [] : r.diagnostics;
}

describe("createTypeChecker", () => {
  const checker = createTypeChecker(BASE);

  test("the base tree (relative .js imports, JSON, text prompts) type-checks cleanly", () => {
    expect(checker.baseDiagnostics()).toEqual([]);
  });

  test("an error in the changed file is reported as file:line:col TScode: message", () => {
    const bad = (BASE.get("agent/tools/pad.ts") as string).replace("const n: number = width(s)", "const n: number = SEP");
    const r = checker.check(withChange("agent/tools/pad.ts", bad), ["agent/tools/pad.ts"]);
    expect(r.ok).toBe(false);
    expect(diagnosticsOf(r)).toEqual(["agent/tools/pad.ts:5:9 TS2322: Type 'string' is not assignable to type 'number'."]);
  });

  test("an error visible only in an importer is caught (the changed file itself is fine)", () => {
    const changed = (BASE.get("agent/tools/util.ts") as string).replace("): number {\n  return s.length;", "): string {\n  return s;");
    const candidate = withChange("agent/tools/util.ts", changed);
    const r = checker.check(candidate, ["agent/tools/util.ts"]);
    const d = diagnosticsOf(r);
    expect(d.some((x) => x.startsWith("agent/tools/pad.ts:5:9 TS2322"))).toBe(true);
    // top.ts imports mid.ts, which passes util's type through: a transitive importer
    expect(d.some((x) => x.startsWith("agent/tools/top.ts:2:"))).toBe(true);
    expect(d.some((x) => x.startsWith("agent/tools/util.ts"))).toBe(false);
  });

  test("a valid change passes, and the base is intact after a failed check", () => {
    const fine = (BASE.get("agent/tools/util.ts") as string).replace("return s.length;", "return s.length + 1;");
    expect(checker.check(withChange("agent/tools/util.ts", fine), ["agent/tools/util.ts"]).ok).toBe(true);
    const broken = withChange("agent/tools/util.ts", "export const width = 1;\n");
    expect(checker.check(broken, ["agent/tools/util.ts"]).ok).toBe(false);
    // the same unchanged tree still checks clean: nothing of the failed candidate stuck
    expect(checker.check(BASE, ["agent/tools/util.ts"]).ok).toBe(true);
    expect(checker.check(withChange("agent/tools/util.ts", fine), ["agent/tools/util.ts", "agent/tools/pad.ts"]).ok).toBe(true);
    expect(checker.baseDiagnostics()).toEqual([]);
  });

  test("a parameter file change that alters a type breaks its importers; a numeric tweak does not", () => {
    expect(checker.check(withChange("agent/params.json", '{ "extra": 3 }\n'), ["agent/params.json"]).ok).toBe(true);
    const r = checker.check(withChange("agent/params.json", '{ "extra": "3" }\n'), ["agent/params.json"]);
    expect(diagnosticsOf(r)).toEqual(["agent/tools/pad.ts:5:9 TS2322: Type 'string' is not assignable to type 'number'."]);
    const broken = checker.check(withChange("agent/params.json", '{ "extra": 2,, }\n'), ["agent/params.json"]);
    expect(diagnosticsOf(broken).some((x) => x.startsWith("agent/params.json:1:14 TS"))).toBe(true);
  });

  test("syntax errors are diagnostics too", () => {
    const r = checker.check(withChange("agent/tools/top.ts", "export const twice = (s: string): number => measure(s) * ;\n"), ["agent/tools/top.ts"]);
    expect(diagnosticsOf(r).some((x) => /^agent\/tools\/top\.ts:1:\d+ TS1109: Expression expected/.test(x))).toBe(true);
  });

  test("deleting a file breaks the files that import it", () => {
    const r = checker.check(withChange("agent/tools/mid.ts", undefined), ["agent/tools/mid.ts"]);
    expect(diagnosticsOf(r)).toEqual(["agent/tools/top.ts:1:25 TS2307: Cannot find module './mid.js' or its corresponding type declarations."]);
    expect(checker.check(BASE, ["agent/tools/mid.ts"]).ok).toBe(true);
  });

  test("a base tree with an error is reported by baseDiagnostics", () => {
    const broken = createTypeChecker(new Map([["agent/tools/x.ts", "export const n: number = 'a';\n"]]));
    expect(broken.baseDiagnostics()).toEqual(["agent/tools/x.ts:1:14 TS2322: Type 'string' is not assignable to type 'number'."]);
  });

  test("an error the base tree already has (an importer using node:process) does not refuse a candidate; a new one does", () => {
    const base = new Map([
      ["src/n.ts", "export function inc(x: number): number { return x + 1; }\n"],
      ["src/cli.ts", 'import { argv } from "node:process";\nimport { inc } from "./n.js";\nexport const v: number = inc(Number(argv[2]));\n'],
    ]);
    const c = createTypeChecker(base);
    expect(c.baseDiagnostics().length).toBeGreaterThan(0);
    expect(c.check(new Map(base).set("src/n.ts", "export function inc(x: number): number { return x - 1; }\n"), ["src/n.ts"]).ok).toBe(true);
    const worse = c.check(new Map(base).set("src/n.ts", "export function inc(x: number): string { return String(x); }\n"), ["src/n.ts"]);
    expect(diagnosticsOf(worse)).toEqual(["src/cli.ts:3:14 TS2322: Type 'string' is not assignable to type 'number'."]);
  });

  test("strict mode is on, and Node globals are not available to agent tools", () => {
    const r = checker.check(withChange("agent/tools/top.ts", "export function f(x) { return process.env; }\n"), ["agent/tools/top.ts"]);
    const d = diagnosticsOf(r);
    expect(d.some((x) => x.includes("TS7006"))).toBe(true); // implicit any
    expect(d.some((x) => /TS2(304|580|591): Cannot find name .process./.test(x))).toBe(true);
  });

  test("warm checks: timings for the report (not asserted)", () => {
    const util = BASE.get("agent/tools/util.ts") as string;
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = checker.check(withChange("agent/tools/util.ts", util.replace("s.length", `s.length + ${i}`)), ["agent/tools/util.ts"]);
      expect(r.ok).toBe(true);
      times.push(r.ms);
    }
    times.sort((a, b) => a - b);
    console.log(`typecheck warm (util.ts + 3 importers): median ${times[15]?.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms`);
  });
});

describe("rebase onto an accepted candidate", () => {
  test("checks later candidates against the new base, not the old one", () => {
    const checker = createTypeChecker(BASE);
    // On the old base, returning a string from width breaks pad (number expected).
    const stringWidth = 'export function width(s: string): string {\n  return s;\n}\nexport const SEP = "-";\n';
    expect(checker.check(withChange("agent/tools/util.ts", stringWidth), ["agent/tools/util.ts"]).ok).toBe(false);
    // Accept a generation that makes pad independent of width's type.
    const padAlone = BASE.get("agent/tools/pad.ts")!.replace("const n: number = width(s) + params.extra;", "const n: number = s.length + params.extra;");
    const next = withChange("agent/tools/pad.ts", padAlone);
    expect(checker.check(next, ["agent/tools/pad.ts"]).ok).toBe(true);
    checker.rebase(next);
    expect(checker.baseDiagnostics()).toEqual([]);
    // mid and top still use width as a number: the change stays wrong, now for them only.
    const after = new Map(next);
    after.set("agent/tools/util.ts", stringWidth);
    const r = checker.check(after, ["agent/tools/util.ts"]);
    expect(r.ok).toBe(false);
    expect(diagnosticsOf(r).join("\n")).toMatch(/agent\/tools\/top\.ts/);
    expect(diagnosticsOf(r).join("\n")).not.toMatch(/agent\/tools\/pad\.ts/);
  });
});
