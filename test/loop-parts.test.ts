/** The loop's pure parts, in process: combinations up to maxChangesPerCycle, the plan's order, the tuning source. */
import { describe, expect, it } from "vitest";
import { candidateStream } from "../evolution/candidates.js";
import type { Edit } from "../evolution/edits.js";
import { analyse } from "../evolution/analyse.js";
import { planFollowingEdits } from "../evolution/loop/plan.js";
import { tuningSource } from "../evolution/loop/sources.js";
import { reflect } from "../evolution/reflect.js";

const FILE = "agent/tools/t.ts";
const BASE = "abcdefgh";
/** One-character replacements at offsets 0..n-1, most suspicious first. */
function edits(n: number): Edit[] {
  return Array.from({ length: n }, (_, i) => ({ file: FILE, start: i, end: i + 1, text: BASE[i]!.toUpperCase(), operator: "literal" as const, description: `up ${i}`, line: 1, column: i + 1 }));
}

describe("candidate combinations up to safety.maxChangesPerCycle", () => {
  it("2 gives singles then pairs, and no triple", () => {
    const all = [...candidateStream(new Map([[FILE, BASE]]), "t", edits(5), 2, new Set())];
    expect(all.map((c) => c.edits.length)).toEqual([...Array(5).fill(1), ...Array(10).fill(2)]);
  });

  it("3 also gives triples, each applied whole, none twice", () => {
    const all = [...candidateStream(new Map([[FILE, BASE]]), "t", edits(5), 3, new Set())];
    const triples = all.filter((c) => c.edits.length === 3);
    expect(triples).toHaveLength(10);
    expect(triples[0]!.files.get(FILE)).toBe("ABCdefgh");
    expect(triples.at(-1)!.files.get(FILE)).toBe("abCDEfgh");
    expect(new Set(all.map((c) => c.hash)).size).toBe(all.length);
    expect(all.find((c) => c.edits.length === 3)!.origin).toMatchObject({ operator: "literal+literal+literal", changes: 3 });
  });

  it("larger combinations come from a pool small enough to stay bounded", () => {
    const big = Array.from({ length: 40 }, (_, i) => ({ file: `f${i}.ts`, start: 0, end: 1, text: "X", operator: "literal" as const, description: `${i}`, line: 1, column: 1 }));
    const files = new Map(big.map((e) => [e.file, "x"]));
    const all = [...candidateStream(files, "t", big, 4, new Set())];
    const bySize = (k: number) => all.filter((c) => c.edits.length === k).length;
    expect([bySize(1), bySize(2)]).toEqual([40, 276]);
    expect(bySize(3)).toBeLessThanOrEqual(300);
    expect(bySize(4)).toBeLessThanOrEqual(300);
    expect(bySize(4)).toBeGreaterThan(0);
  });
});

describe("the plan follows the edits' order", () => {
  it("names first the tool whose file the first candidates change", () => {
    const files = new Map([
      ["agent/tools/a.ts", "export function alpha(x: number): number {\n  return x + 1;\n}\n"],
      ["agent/tools/b.ts", "export function beta(x: number): number {\n  return x - 1;\n}\n"],
    ]);
    const analysis = analyse(files, (p) => p.startsWith("agent/tools/"));
    const failing = [
      { id: "a1", tool: "alpha", reason: "wrong" },
      { id: "a2", tool: "alpha", reason: "wrong" },
      { id: "b1", tool: "beta", reason: "off by one" },
    ];
    const reflection = reflect(1, failing, []);
    expect(reflection.plan[0]).toMatch(/^repair alpha/);
    const first: Edit = { file: "agent/tools/b.ts", start: 52, end: 53, text: "+", operator: "arithmetic", description: "-", line: 2, column: 12 };
    const later: Edit = { ...first, file: "agent/tools/a.ts" };
    const planned = planFollowingEdits(reflection, [first, later], analysis);
    expect(planned.plan[0]).toMatch(/^repair beta \(1 failing: b1\)/);
    expect(planned.plan[1]).toMatch(/^repair alpha/);
    expect(planned.failing.map((g) => g.tool)).toEqual(["beta", "alpha"]);
  });
});

describe("the tuning variants as a candidate source", () => {
  it("yields each prompt rewrite and parameter step once, as whole candidates", () => {
    const files = new Map([
      ["agent/params.json", `{\n  "temperature": 0,\n  "maxTokens": 64\n}\n`],
      ["agent/prompts/system.md", "Be brief. Answer kindly.\n"],
    ]);
    const seen = new Set<string>();
    const source = tuningSource(files, "t", seen);
    const out = [];
    for (let c = source.next(); c !== null; c = source.next()) out.push(c);
    expect(source.exhausted()).toBe(true);
    expect(out.length).toBeGreaterThan(4);
    expect(out[0]).toMatchObject({ changed: ["agent/params.json"], origin: { proposer: "tune", operator: "maxTokens*2" } });
    expect(JSON.parse(out[0]!.files.get("agent/params.json")!).maxTokens).toBe(128);
    expect(out.some((c) => c.changed[0] === "agent/prompts/system.md")).toBe(true);
    expect(tuningSource(files, "t", seen).next()).toBeNull();
  });
});
