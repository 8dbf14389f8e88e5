import { describe, expect, test } from "vitest";
import { applyEdits, makeEdit, type Edit } from "../evolution/edits.js";
import { contentHash, type Candidate } from "../evolution/candidates.js";
import { archiveNeutral, deadEndReason, NEUTRAL_ARCHIVE, onTip, searchOn, type NeutralVariant } from "../evolution/loop/detour.js";
import type { Tried } from "../evolution/loop/state.js";
import type { Measurement } from "../golden-tests/evaluate.js";
import type { FileMap } from "../kernel/files.js";

const A = "agent/tools/a.ts";
const B = "agent/tools/b.ts";
const tip = { files: new Map([[A, "let x = 1;\nlet y = 2;\n"], [B, "let z = 3;\n"]]), tree: "t".repeat(40) };

const edit = (file: string, from: string, to: string, base: FileMap = tip.files): Edit => {
  const text = base.get(file)!;
  const at = text.indexOf(from);
  return makeEdit(file, text, at, at + from.length, to, "literal");
};

function candidate(edits: Edit[], base: FileMap = tip.files): Candidate {
  const files = applyEdits(base, edits);
  const changed = [...new Set(edits.map((e) => e.file))].sort();
  return { edits, files, changed, hash: contentHash("x", files, changed), origin: { proposer: "builtin", operator: edits.map((e) => e.operator).join("+"), description: edits.map((e) => e.description).join("; "), changes: edits.length } };
}

const measured = (passing: string[]): Measurement => ({ score: passing.length / 3, holdout: null, passed: passing.length, failed: 3 - passing.length, total: 3, results: ["a", "b", "c"].map((id) => ({ id, pass: passing.includes(id), score: passing.includes(id) ? 1 : 0, reason: "" })), evalMs: 1 }) as unknown as Measurement;

const tried = (c: Candidate, m: Measurement | null, stage: Tried["stage"] = "evaluate"): Tried => ({ candidate: c, tree: `tree-${c.hash.slice(0, 6)}`, stage, measurement: m, verdict: null, reason: "", diff: "" });

describe("neutral variants (detour.ts)", () => {
  const base = measured(["a"]);

  test("the archive keeps single built-in edits that pass exactly the tip's cases, one per statement", () => {
    const search = searchOn("c1", []);
    const neutral = candidate([edit(A, "1", "4")]);
    const sameLine = candidate([edit(A, "x", "w")]);
    const otherLine = candidate([edit(A, "2", "5")]);
    const traded = candidate([edit(B, "3", "6")]);
    const pair = candidate([edit(A, "1", "7"), edit(B, "3", "8")]);
    archiveNeutral(search, [tried(neutral, measured(["a"])), tried(sameLine, measured(["a"])), tried(traded, measured(["b"])), tried(pair, measured(["a"])), tried(otherLine, measured(["a"]), "cache"), tried(candidate([edit(B, "z", "q")]), null, "typecheck")], base);
    expect(search.variants.map((v) => v.candidate)).toEqual([neutral, otherLine]);
    // A re-plan on the same tip keeps the archive; a new tip starts a new one.
    expect(searchOn("c1", [], search).variants).toHaveLength(2);
    expect(searchOn("c2", [], search).variants).toHaveLength(0);
  });

  test("the archive is bounded and only fed from the tip's own rounds", () => {
    const search = searchOn("c1", []);
    const text = Array.from({ length: 20 }, (_, i) => `let v${i} = ${i};`).join("\n");
    const files = new Map([[A, text]]);
    const many = Array.from({ length: 20 }, (_, i) => candidate([edit(A, `= ${i};`, `= ${i + 100};`, files)], files));
    archiveNeutral(search, many.map((c) => tried(c, measured(["a"]))), base);
    expect(search.variants).toHaveLength(NEUTRAL_ARCHIVE);
    const during = { ...searchOn("c1", []), detour: search.variants[0]! };
    archiveNeutral(during, many.map((c) => tried(c, measured(["a"]))), base);
    expect(during.variants).toHaveLength(0);
  });

  test("a candidate made on a variant is rebased on the tip: both edits, every path that differs, hashed against the tip", () => {
    const first = candidate([edit(A, "1", "4")]);
    const variant: NeutralVariant = { candidate: first, tree: "v".repeat(40), measurement: measured(["a"]) };
    const second = candidate([edit(B, "3", "9", first.files)], first.files);
    const seen = new Set<string>();
    const r = onTip(second, variant, tip, seen)!;
    expect(r.changed).toEqual([A, B]);
    expect(r.files.get(A)).toBe("let x = 4;\nlet y = 2;\n");
    expect(r.files.get(B)).toBe("let z = 9;\n");
    expect(r.origin.changes).toBe(2);
    expect(r.origin.operator).toBe("literal+literal");
    expect(r.hash).toBe(contentHash(tip.tree, r.files, [A, B]));
    // The same tree again is not produced twice.
    expect(onTip(second, variant, tip, seen)).toBeNull();
  });

  test("an edit that undoes the variant gives nothing; one on the variant's own file keeps only what differs from the tip", () => {
    const first = candidate([edit(A, "1", "4")]);
    const variant: NeutralVariant = { candidate: first, tree: "v".repeat(40), measurement: measured(["a"]) };
    const undo = candidate([edit(A, "4", "1", first.files)], first.files);
    expect(onTip(undo, variant, tip, new Set())).toBeNull();
    const more = candidate([edit(A, "2", "8", first.files)], first.files);
    expect(onTip(more, variant, tip, new Set())!.changed).toEqual([A]);
  });

  test("the stop reason names the variants searched", () => {
    expect(deadEndReason(searchOn("c", []))).toBe("no candidate left to try from this tree");
    expect(deadEndReason({ ...searchOn("c", []), detours: 3 })).toBe("no candidate left to try from this tree or from 3 neutral variants of it");
  });
});
