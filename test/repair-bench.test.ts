/**
 * The repair benchmark's data and runner: every program's seeded bug shows on a visible case and its
 * known one-line fix passes every visible and holdout case (so "repaired" is reachable and "plausible"
 * is distinguishable); and the runner, on two small programs at a small budget, repairs them in a real
 * workspace and confirms the repair on the holdout cases it kept out of the run.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { judgeSource } from "../bench/repair-child.js";
import { programNames, readProgram } from "../bench/repair-data.js";
import { createSandbox } from "../sandbox/pool.js";
import { ROOT } from "./helpers.js";

describe("repair benchmark", () => {
  const sandbox = createSandbox({ workers: 2, timeoutMs: 1000, memoryMb: 128 });
  afterAll(() => sandbox.destroy());

  test("at least 30 programs, each with a bug a visible case shows and a fix every case confirms", async () => {
    const names = programNames();
    expect(names.length).toBeGreaterThanOrEqual(30);
    const kinds = new Set<string>();
    for (const name of names) {
      const p = readProgram(name);
      kinds.add(p.kind);
      const bug = await judgeSource(p, p.source, sandbox);
      const fixed = await judgeSource(p, p.fixed, sandbox);
      expect({ name, bugVisible: bug.visible, fixed }).toEqual({ name, bugVisible: false, fixed: { visible: true, holdout: true } });
    }
    expect(kinds.size).toBe(names.length);
  }, 120_000);

  test("a run sees only the visible cases and is judged on the holdout cases afterwards", () => {
    const child = path.join(ROOT, "dist", "bench", "repair-child.js");
    const engine = path.join(ROOT, "dist");
    for (const program of ["running-total", "gcd"]) {
      const out = execFileSync(process.execPath, [child, "--engine", engine, "--program", program, "--budget", "60"], { encoding: "utf8" });
      const run = JSON.parse(out.trim()) as { repaired: boolean; plausible: boolean; candidates: number; generations: number };
      expect({ program, repaired: run.repaired, plausible: run.plausible }).toEqual({ program, repaired: true, plausible: false });
      expect(run.candidates).toBeLessThanOrEqual(61);
      expect(run.generations).toBeGreaterThanOrEqual(1);
    }
  }, 240_000);
});
