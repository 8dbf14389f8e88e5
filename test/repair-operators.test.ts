import { describe, expect, test } from "vitest";
import { analyse, enumerateEdits } from "../evolution/analyse.js";
import { applyEdits, type OperatorName } from "../evolution/edits.js";
import { createRng } from "../evolution/rng.js";
import { createTypeChecker } from "../evolution/typecheck.js";

const PATH = "agent/tools/t.ts";

/** The whole file after each edit of `operator`, whitespace collapsed, for comparison with wanted fixes. */
function results(text: string, operator: OperatorName): string[] {
  const files = new Map([[PATH, text]]);
  const edits = enumerateEdits(analyse(files, () => true), { operators: [operator], rng: createRng(1) });
  return edits.map((e) => flat(applyEdits(files, [e]).get(PATH)!));
}

const flat = (s: string): string => s.replace(/\s+/g, " ").trim();

/** Every edit of the operator type-checks: the operators are type-aware, not left to the gate. */
function allTypeCheck(text: string, operator: OperatorName): number {
  const files = new Map([[PATH, text]]);
  const checker = createTypeChecker(files);
  const edits = enumerateEdits(analyse(files, () => true, { program: checker.program() }), { operators: [operator], rng: createRng(1) });
  for (const e of edits) {
    const r = checker.check(applyEdits(files, [e]), [PATH]);
    expect(r.ok ? "ok" : `${e.description}: ${r.diagnostics[0]}`).toBe("ok");
  }
  return edits.length;
}

describe("repair operators", () => {
  test("compound-assignment: `=` made compound for numbers and strings, compound made plain", () => {
    const src = "export function f(xs: number[], s: string): string { let t = 0; let u = ''; for (const x of xs) { t = x; u += s; } return `${t}${u}`; }\n";
    const got = results(src, "compound-assignment");
    expect(got.some((r) => r.includes("t += x;"))).toBe(true);
    expect(got.some((r) => r.includes("t -= x;"))).toBe(true);
    expect(got.some((r) => r.includes("u = s;"))).toBe(true);
    expect(got.some((r) => r.includes("u -= s"))).toBe(false);
    expect(allTypeCheck(src, "compound-assignment")).toBe(got.length);
  });

  test("off-by-one: `+ 1`/`- 1` added to assigned values and call arguments, and removed", () => {
    const src = "export function f(lo: number, hi: number): number { let mid = lo; mid = hi; return Math.max(mid, hi + 1); }\n";
    const got = results(src, "off-by-one");
    expect(got).toContain(flat(src.replace("mid = hi;", "mid = hi + 1;")));
    expect(got).toContain(flat(src.replace("Math.max(mid,", "Math.max(mid - 1,")));
    expect(got).toContain(flat(src.replace("hi + 1)", "hi)")));
    expect(got.some((r) => r.includes("hi + 1 + 1"))).toBe(false);
    allTypeCheck(src, "off-by-one");
  });

  test("sibling-method: only siblings the receiver has", () => {
    const src = "export function f(xs: number[], s: string): number { xs.push(1); const y = Math.min(1, 2); return xs.indexOf(y) + s.slice(1).length; }\n";
    const got = results(src, "sibling-method");
    expect(got).toContain(flat(src.replace("xs.push(1)", "xs.unshift(1)")));
    expect(got).toContain(flat(src.replace("Math.min", "Math.max")));
    expect(got).toContain(flat(src.replace("xs.indexOf", "xs.lastIndexOf")));
    expect(got).toContain(flat(src.replace("s.slice(1)", "s.substr(1)")));
    // strings have no splice
    expect(got).not.toContain(flat(src.replace("s.slice(1)", "s.splice(1)")));
    allTypeCheck(src, "sibling-method");
  });

  test("call-arguments: arguments of interchangeable types swapped, others not", () => {
    const src = "function g(a: number, b: number, s: string): number { return a - b + s.length; }\nexport function f(x: number, y: number): number { return g(x % y, y, 'z'); }\n";
    const got = results(src, "call-arguments");
    expect(got).toEqual([flat(src.replace("g(x % y, y,", "g(y, x % y,"))]);
  });

  test("access: nested indices exchanged, a property read replaced by a sibling of its type", () => {
    const src = "interface P { name: string; score: number; age: number }\nexport function f(m: number[][], p: P, i: number, j: number): number { return m[j]![i]! + p.age; }\n";
    const got = results(src, "access");
    expect(got).toContain(flat(src.replace("m[j]![i]!", "m[i]![j]!")));
    expect(got).toContain(flat(src.replace("p.age", "p.score")));
    expect(got.some((r) => r.includes("p.name"))).toBe(false);
    allTypeCheck(src, "access");
  });

  test("insert-jump: break/continue only inside loops; return only where the call's type is returned", () => {
    const src = [
      "function find(xs: number[], x: number, lo: number): number {",
      "  if (lo >= xs.length) return -1;",
      "  if (xs[lo] !== x) find(xs, x, lo + 1);",
      "  return lo;",
      "}",
      "export function f(xs: number[]): number {",
      "  let n = 0;",
      "  for (const x of xs) {",
      "    if (x < 0) {",
      "      n++;",
      "    }",
      "  }",
      "  if (n > 2) {",
      "    n--;",
      "  }",
      "  return find(xs, 1, n);",
      "}",
    ].join("\n");
    const got = results(src, "insert-jump");
    expect(got).toContain(flat(src.replace("n++;", "n++; continue;")));
    expect(got).toContain(flat(src.replace("n++;", "n++; break;")));
    expect(got).toContain(flat(src.replace("find(xs, x, lo + 1);", "return find(xs, x, lo + 1);")));
    expect(got.some((r) => r.includes("n--; break;"))).toBe(false);
    expect(allTypeCheck(src, "insert-jump")).toBe(got.length);
  });

  test("insert-guard: an early return on a small parameter, with a value of the return type", () => {
    const src = "export function isPrime(n: number): boolean {\n  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;\n  return true;\n}\n";
    const got = results(src, "insert-guard");
    expect(got).toContain(flat(src.replace("{\n  for", "{\n  if (n < 2) return false;\n  for")));
    expect(got.some((r) => r.includes("return 0;"))).toBe(false);
    expect(allTypeCheck(src, "insert-guard")).toBe(got.length);
  });

  test("statement-insert: a statement of the same function copied with its locals renamed to others of their type", () => {
    const src = [
      "export function merge(a: number[], b: number[]): number[] {",
      "  const out: number[] = [];",
      "  let i = 0;",
      "  let j = 0;",
      "  while (i < a.length && j < b.length) out.push(a[i]! <= b[j]! ? a[i++]! : b[j++]!);",
      "  while (i < a.length) out.push(a[i++]!);",
      "  return out;",
      "}",
    ].join("\n");
    const got = results(src, "statement-insert");
    expect(got).toContain(flat(src.replace("out.push(a[i++]!);", "out.push(a[i++]!); while (j < b.length) out.push(b[j++]!);")));
    // never a use before the declaration: `j` is not read above `let j`
    expect(got.some((r) => r.startsWith(flat(src.split("let j")[0]!)) && r.includes("j < b.length) out.push(b[j++]!); let j"))).toBe(false);
    allTypeCheck(src, "statement-insert");
  });

  test("loop-direction: a counted loop over the same range, the other way", () => {
    const src = "export function f(n: number, w: number): number { let s = 0; for (let c = w; c <= n; c++) s = s * 2 + c; for (let k = 0; k < n; k++) s += k; return s; }\n";
    const got = results(src, "loop-direction");
    expect(got).toContain(flat(src.replace("for (let c = w; c <= n; c++)", "for (let c = n; c >= w; c--)")));
    expect(got).toContain(flat(src.replace("for (let k = 0; k < n; k++)", "for (let k = n - 1; k >= 0; k--)")));
  });

  test("return-variable: a return returns another local of the right type", () => {
    const src = "export function f(xs: number[]): number { const count = xs.length; const best = Math.max(...xs); const name = 'x'; return count; }\n";
    const got = results(src, "return-variable");
    expect(got).toContain(flat(src.replace("return count;", "return best;")));
    expect(got.some((r) => r.includes("return name;"))).toBe(false);
    expect(allTypeCheck(src, "return-variable")).toBe(got.length);
  });
});
