/**
 * The kill loop with a small count (the soak is `npm run killloop -- 100`): `evolve run` SIGKILLed at
 * random moments on a real workspace; no corrupt repository, no lost generation, no false revert,
 * and the next run finishes.
 */
import { describe, expect, it } from "vitest";
import { killLoop } from "../bench/killloop.js";

describe("kill loop", () => {
  it("5 SIGKILLs of evolve run: git fsck passes, no generation lost or reverted, the next run finishes", async () => {
    const r = await killLoop({ kills: 5, seed: 7, minMs: 200, maxMs: 2500 });
    expect(r.problems).toEqual([]);
    expect(r.kills).toBe(5);
    expect(r).toMatchObject({ corrupt: 0, lostGenerations: 0, falseReverts: 0, failedRuns: 0 });
  }, 240_000);
});
