import { describe, expect, test } from "vitest";
import { makeEdit, type Edit, type OperatorName } from "../evolution/edits.js";
import type { Verdict } from "../evolution/judge.js";
import { compareAccepted, focusedPairs, keepPassing, orderEdits, patchCost } from "../evolution/search-policy.js";
import { describeRepair, repairStatus } from "../evolution/repair-status.js";

const TEXT = "a\nb\nc\nd\ne\nf\n";
const edit = (line: number, operator: OperatorName, text = "x"): Edit => makeEdit("t.ts", TEXT, (line - 1) * 2, (line - 1) * 2 + 1, text, operator);
const verdict = (v: Partial<Verdict>): Verdict => ({ accept: true, reason: "accepted", fixed: [], broken: [], delta: 0.1, ...v });

describe("search policy", () => {
  test("order: suspiciousness first, then the operator prior at equal suspiciousness", () => {
    const insert = edit(1, "statement-insert");
    const bound = edit(1, "boundary");
    const cold = edit(2, "boundary");
    const weight = (_f: string, o: number) => (o === 0 ? 1 : 0.1);
    expect(orderEdits([insert, cold, bound], weight, {})).toEqual([bound, insert, cold]);
    // the reflection's factors still apply on top
    expect(orderEdits([insert, bound], weight, { boundary: 0.1 })[0]).toBe(insert);
  });

  test("a candidate that breaks a passing case is refused even when its score rises", () => {
    expect(keepPassing(verdict({ fixed: ["a", "b"] })).accept).toBe(true);
    const traded = keepPassing(verdict({ fixed: ["a", "b"], broken: ["c"] }));
    expect(traded.accept).toBe(false);
    expect(traded.reason).toMatch(/breaks c, which passed/);
    const rejected = verdict({ accept: false, reason: "rejected: x", broken: ["c"] });
    expect(keepPassing(rejected)).toBe(rejected);
  });

  test("ties rank by smaller change, then no deletion, then reuse over invention", () => {
    const tie = { score: 1, holdout: null };
    const small = { ...tie, shape: { changedLines: 2, operators: ["boundary"] } };
    const big = { ...tie, shape: { changedLines: 4, operators: ["statement-insert"] } };
    const deletion = { ...tie, shape: { changedLines: 2, operators: ["statement-delete"] } };
    const guard = { ...tie, shape: { changedLines: 2, operators: ["insert-guard"] } };
    const sorted = [big, deletion, guard, small].sort(compareAccepted);
    expect(sorted).toEqual([small, guard, deletion, big]);
    // a higher score always wins over a smaller change
    expect(compareAccepted({ ...big, score: 1 }, { ...small, score: 0.5 })).toBeLessThan(0);
    expect(patchCost(small.shape)).toBeLessThan(patchCost(deletion.shape));
  });

  test("focused pairs: the most suspicious lines, across lines first, none the first pool made", () => {
    const ordered = [edit(1, "boundary", "p"), edit(1, "literal", "q"), edit(2, "boundary", "r"), edit(3, "literal", "s"), edit(6, "literal", "t"), edit(5, "literal", "u")];
    const pairs = focusedPairs(ordered, 2).map((p) => p.map((e) => e.text).join(""));
    // lines 1, 2, 3, 6 are the four most suspicious; line 5 is left out; p+q was in the first pool
    expect(pairs).not.toContain("pq");
    expect(pairs.some((p) => p.includes("u"))).toBe(false);
    expect(pairs.slice(0, 3)).toEqual(["pr", "ps", "pt"]);
    expect(pairs).toHaveLength(9);
  });

  test("repair status: holdout confirmed apart from plausible (visible cases only)", () => {
    expect(repairStatus(1, 1)).toBe("confirmed");
    expect(repairStatus(1, 0.5)).toBe("plausible");
    expect(repairStatus(1, null)).toBe("plausible");
    expect(repairStatus(0.9, 1)).toBe("partial");
    expect(describeRepair(1, 0.5)).toMatch(/plausible \(visible cases only\).*holdout score is 0.5/);
    expect(describeRepair(1, 1)).toMatch(/holdout confirmed/);
  });
});
