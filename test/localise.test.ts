import { describe, expect, test } from "vitest";
import { transformSync } from "esbuild";
import { instrument, type StatementSite } from "../evolution/instrument.js";
import { suspiciousness, weightFunction } from "../evolution/localise.js";

/** Code shaped to trip naive instrumentation: unbraced bodies, else-if chains, labels, ASI, directives, hoisting. */
const TOOL = `
const TABLE: Record<string, number> = { a: 1, b: 2 };
let calls = 0;

export function classify(n: number): string {
  "use strict";
  calls++
  if (n < 0) return "neg"
  else if (n === 0) return "zero";
  else if (n > 100) { return "big"; }
  const parity = n % 2 === 0 ? "even" : "odd"
  ;[1, 2].forEach((x) => calls += x)
  return parity + helper(n)
  function helper(k: number): string { return k > 9 ? "+" : ""; }
}

export function loops(xs: number[], stop: number): number {
  let sum = 0;
  outer: for (const x of xs) {
    for (let i = 0; i < 3; i++) if (i === x) continue outer;
    if (x === stop) break;
    sum += x;
  }
  let k = 0;
  while (k < xs.length) k++;
  do k--; while (k > 1)
  for (const key in TABLE) sum += TABLE[key] ?? 0;
  switch (sum % 3) {
    case 0:
      sum += 10;
    case 1:
      sum += 1;
      break;
    default: {
      sum -= 1;
    }
  }
  try {
    if (sum > 50) throw new Error("too big");
  } catch (e) {
    sum = -sum;
  } finally {
    sum += k;
  }
  return sum;
}

export const point = (x: number) => ({ x, y: x * 2 });
export const twice = (f: (v: number) => number) => (v: number) => f(f(v));

export class Counter {
  static made = 0;
  static { Counter.made = 100; }
  private n: number;
  constructor(start: number) { this.n = start; Counter.made++; }
  get value(): number { return this.n; }
  bump(by = 1): number {
    if (by < 0) throw new RangeError("negative");
    for (let i = 0; i < by; i++) this.n++;
    return this.n;
  }
}

export function* evens(limit: number): Generator<number> {
  for (let i = 0; i <= limit; i++) if (i % 2 === 0) yield i;
}

export async function later(x: number): Promise<number> {
  const y = await Promise.resolve(x);
  return y > 1 ? y * 10 : y;
}

export function callCount(): number { return calls; }
`;

const OTHER = "export function untouched(a: number): number { return a + 1; }\n";

const FILES: ReadonlyMap<string, string> = new Map([
  ["agent/tools/tool.ts", TOOL],
  ["agent/tools/other.ts", OTHER],
  ["agent/params.json", '{ "x": 1 }\n'],
]);

const isEvolvable = (p: string): boolean => p === "agent/tools/tool.ts" || p === "agent/params.json";

type Module = Record<string, (...args: never[]) => unknown> & { Counter: new (start: number) => { value: number; bump(by?: number): number } };

/** Compile one TS module with esbuild and evaluate it; `cov` receives coverage calls. */
function load(source: string, cov: (id: number) => void): Module {
  const { code } = transformSync(source, { loader: "ts", format: "cjs", target: "es2022" });
  const module = { exports: {} as Module };
  new Function("module", "exports", "__evolveCov", code)(module, module.exports, cov);
  return module.exports;
}

/** Every observable behaviour of the fixture, as plain data. */
async function behaviour(m: Module): Promise<unknown[]> {
  const out: unknown[] = [];
  const call = (f: () => unknown): void => {
    try {
      out.push(f());
    } catch (e) {
      out.push(`throws ${(e as Error).name}: ${(e as Error).message}`);
    }
  };
  for (const n of [-5, 0, 7, 12, 101]) call(() => (m.classify as (n: number) => string)(n));
  for (const [xs, stop] of [[[0, 1, 5, 9], 99], [[3, 4, 5], 4], [[40, 30], 0], [[], 1]] as [number[], number][]) {
    call(() => (m.loops as (xs: number[], s: number) => number)(xs, stop));
  }
  call(() => (m.point as (x: number) => unknown)(3));
  call(() => (m.twice as (f: (v: number) => number) => (v: number) => number)((v) => v + 3)(1));
  call(() => {
    const c = new m.Counter(2);
    return [c.bump(), c.bump(3), c.value, (m.Counter as unknown as { made: number }).made];
  });
  call(() => new m.Counter(0).bump(-1));
  call(() => [...(m.evens as (l: number) => Iterable<number>)(9)]);
  out.push(await (m.later as (x: number) => Promise<number>)(1), await (m.later as (x: number) => Promise<number>)(4));
  call(() => (m.callCount as () => number)());
  return out;
}

describe("instrument", () => {
  const { files, sites } = instrument(FILES, isEvolvable);
  const instrumented = files.get("agent/tools/tool.ts") as string;

  test("only evolvable TypeScript files change", () => {
    expect(instrumented).not.toBe(TOOL);
    expect(instrumented).toContain("__evolveCov(");
    expect(files.get("agent/tools/other.ts")).toBe(OTHER);
    expect(files.get("agent/params.json")).toBe(FILES.get("agent/params.json"));
    expect(new Set(sites.map((s) => s.file))).toEqual(new Set(["agent/tools/tool.ts"]));
  });

  test("sites: unique ids, ranges in the base text, statements inside functions only", () => {
    expect(new Set(sites.map((s) => s.id)).size).toBe(sites.length);
    expect(sites.map((s) => s.id)).toEqual(sites.map((_, i) => i));
    const texts = sites.map((s) => TOOL.slice(s.start, s.end));
    expect(texts).toContain('return "neg"');
    expect(texts).toContain("sum -= 1;");
    expect(texts).toContain("k++;"); // unbraced while body
    expect(texts).toContain("({ x, y: x * 2 })"); // expression-bodied arrow
    expect(texts).toContain("Counter.made = 100;"); // static block
    // module-level statements, directives and function declarations are not sites
    expect(texts.some((t) => t.startsWith("let calls") || t.startsWith("const TABLE"))).toBe(false);
    expect(texts).not.toContain('"use strict";');
    expect(texts.some((t) => t.startsWith("function helper"))).toBe(false);
    for (const s of sites) expect(s.line).toBe(TOOL.slice(0, s.start).split("\n").length);
    // the directive still leads the function body
    expect(instrumented).toMatch(/export function classify\(n: number\): string \{\n {2}"use strict";/);
  });

  test("instrumented code behaves exactly like the original", async () => {
    const original = await behaviour(load(TOOL, () => undefined));
    const hits: number[] = [];
    const traced = await behaviour(load(instrumented, (id) => hits.push(id)));
    expect(traced).toEqual(original);
    expect(original).toContain("throws RangeError: negative");
    expect(hits.length).toBeGreaterThan(50);
    for (const id of hits) expect(id >= 0 && id < sites.length).toBe(true);
  });

  test("coverage tells which statements a call executed", () => {
    const siteOf = (text: string): StatementSite => sites.find((s) => TOOL.slice(s.start, s.end) === text) as StatementSite;
    const run = (n: number): Set<number> => {
      const hit = new Set<number>();
      const m = load(instrumented, (id) => hit.add(id));
      (m.classify as (n: number) => string)(n);
      return hit;
    };
    const negative = run(-1);
    expect(negative.has(siteOf('return "neg"').id)).toBe(true);
    expect(negative.has(siteOf('return "zero";').id)).toBe(false);
    expect(negative.has(siteOf("return parity + helper(n)").id)).toBe(false);
    const positive = run(12);
    expect(positive.has(siteOf('return "neg"').id)).toBe(false);
    expect(positive.has(siteOf("return parity + helper(n)").id)).toBe(true);
    expect(positive.has(siteOf('return k > 9 ? "+" : "";').id)).toBe(true);
    expect(positive.has(siteOf("calls += x").id)).toBe(true); // arrow body inside forEach
  });
});

describe("suspiciousness (Ochiai)", () => {
  const site = (id: number, start: number, end: number): StatementSite => ({ id, file: "f.ts", start, end, line: 1 });
  const sites = [site(1, 0, 100), site(2, 10, 20), site(3, 30, 40), site(4, 50, 60)];
  // failed runs: r1 {1,2}, r4 {2}; passed runs: r2 {1,3}, r3 {1,2,3}
  const runs = [
    { covered: [1, 2, 2, 1], passed: false },
    { covered: [1, 3], passed: true },
    { covered: [3, 2, 1], passed: true },
    { covered: [2], passed: false },
  ];

  test("hand-computed example", () => {
    const s = suspiciousness(sites, runs);
    expect(s.get(1)).toBeCloseTo(1 / Math.sqrt(2 * 3), 12); // failed 1, passed 2
    expect(s.get(2)).toBeCloseTo(2 / Math.sqrt(2 * 3), 12); // failed 2, passed 1
    expect(s.get(3)).toBe(0); // failed 0
    expect(s.get(4)).toBe(0); // never executed: denominator 0, not NaN
    expect(suspiciousness(sites, [{ covered: [1], passed: true }]).get(1)).toBe(0); // no failing run
    expect(suspiciousness(sites, [{ covered: [2], passed: false }]).get(2)).toBe(1); // only the failing run hits it
  });

  test("weightFunction picks the innermost site that contains the offset", () => {
    const w = weightFunction(sites, suspiciousness(sites, runs));
    expect(w("f.ts", 15)).toBeCloseTo(2 / Math.sqrt(6), 12); // inside 2, which is inside 1
    expect(w("f.ts", 5)).toBeCloseTo(1 / Math.sqrt(6), 12); // only inside 1
    expect(w("f.ts", 20)).toBeCloseTo(1 / Math.sqrt(6), 12); // end is exclusive
    expect(w("f.ts", 35)).toBe(0);
    expect(w("f.ts", 150)).toBe(0);
    expect(w("g.ts", 15)).toBe(0);
  });
});
