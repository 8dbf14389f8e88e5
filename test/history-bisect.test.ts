/**
 * `evolve bisect` over a long history, against native `git bisect run`: 210 generations on a
 * workspace from `evolve init --example textkit`, each rewording a comment, one of them (at a random
 * generation, printed on failure) breaking a golden case. Both must blame that generation; evolve's
 * verdict count must stay within ceil(log2 n) + 1 and repeat searches must come from the cache.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { commitChanges, formatMessage } from "../ledger/index.js";
import { CLI, evolve, evolveJson, git, gitStatus, tempDir } from "./helpers.js";

const GENERATIONS = 210;
const CASE = "slugify-basic";
const TOOL = "agent/tools/text.ts";
const FIRST_LINE = "// Text helpers the notes agent uses to name, preview and size notes.";

describe(`bisect over ${GENERATIONS} generations`, () => {
  const tmp = tempDir("evolve-bisect-");
  const ws = path.join(tmp.dir, "textkit");
  // Random, but never at the ends, so the narrow-range checks below have room.
  const planted = randomInt(4, GENERATIONS - 3);
  const at = `regression planted at generation ${planted}`;
  const commits: string[] = [];

  beforeAll(async () => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    commits.push(git(ws, "rev-parse", "HEAD"));
    let text = readFileSync(path.join(ws, TOOL), "utf8");
    for (let g = 1; g <= GENERATIONS; g++) {
      text = text.replace(/^.*\n/, `${FIRST_LINE} (revision ${g})\n`);
      if (g === planted) text = text.replace('words.join("-")', 'words.join("_")');
      const out = await commitChanges(ws, {
        branch: "main",
        parent: commits.at(-1)!,
        changes: new Map([[TOOL, text]]),
        message: formatMessage(`evolve: gen ${g}: revision ${g}${g === planted ? " (joins slugs with _)" : ""}`, "", [["Evolve-Generation", String(g)]]),
        tagName: `gen-${g}`,
      });
      commits.push(out.commit);
    }
  }, 120_000);
  afterAll(() => tmp.cleanup());

  test("evolve bisect names the planted generation within ceil(log2 n) + 1 evaluations", () => {
    const r = evolveJson(["bisect", "--good", "gen-0", "--bad", "HEAD", "--case", CASE, "--workspace", ws], tmp.dir);
    expect(r.rangeLength).toBe(GENERATIONS);
    expect(r.firstBad?.commit, at).toBe(commits[planted]);
    expect(r.firstBad.generation, at).toBe(planted);
    expect(r.firstBad.subject).toBe(`evolve: gen ${planted}: revision ${planted} (joins slugs with _)`);
    expect(r.firstBad.tags).toEqual([`gen-${planted}`]);
    expect(r.firstBad.parent.commit).toBe(commits[planted - 1]);
    expect(r.firstBad.before.predicateValue).toBe(true);
    expect(r.firstBad.after.predicateValue).toBe(false);
    expect(r.firstBad.delta.score).toBeLessThan(0);
    expect(r.firstBad.files).toEqual([{ path: TOOL, status: "modified", added: 2, removed: 2 }]);
    expect(r.maxEvaluations).toBe(Math.ceil(Math.log2(GENERATIONS)) + 1);
    expect(r.evaluations).toBeLessThanOrEqual(r.maxEvaluations);
    expect(r.evaluations).toBe(r.steps.length);
    expect(r.measured + r.cached).toBe(r.evaluations);
    expect(r.reportMeasurements).toBe(0);
    expect(new Set(r.steps.map((s: { commit: string }) => s.commit)).size).toBe(r.steps.length);
    for (const s of r.steps) expect(s.verdict, `${at}, gen ${s.generation}`).toBe(s.generation < planted ? "good" : "bad");

    // The same search again costs no sandbox run: every verdict comes from the evaluation cache.
    const again = evolveJson(["bisect", "--good", "gen-0", "--bad", "HEAD", "--metric", "passed<14", "--workspace", ws], tmp.dir);
    expect(again.firstBad?.commit, at).toBe(commits[planted]);
    expect(again.measured).toBe(0);
    expect(again.cached).toBe(again.evaluations);
  });

  test("native `git bisect run evolve eval --bisect` blames the same commit", () => {
    git(ws, "bisect", "start", "--first-parent", "HEAD", "gen-0");
    try {
      const out = git(ws, "bisect", "run", process.execPath, CLI, "eval", "--bisect", "--case", CASE);
      expect(/^([0-9a-f]{40}) is the first bad commit/m.exec(out)?.[1], `${at}\n${out}`).toBe(commits[planted]);
    } finally {
      gitStatus(ws, "bisect", "reset");
    }
    expect(git(ws, "rev-parse", "HEAD")).toBe(commits[GENERATIONS]);
    expect(git(ws, "status", "--porcelain")).toBe("");
  });

  test("narrow ranges: a one-generation range, a range that did not regress, a good end that is already bad", () => {
    const one = evolveJson(["bisect", "--good", `gen-${planted - 1}`, "--bad", `gen-${planted}`, "--case", CASE, "--workspace", ws], tmp.dir);
    expect(one.firstBad?.commit, at).toBe(commits[planted]);
    expect(one.evaluations).toBe(1);

    const clean = evolve(["bisect", "--good", `gen-${planted - 3}`, "--bad", `gen-${planted - 1}`, "--case", CASE, "--workspace", ws, "--json"], tmp.dir);
    expect(clean.status, clean.stderr).toBe(1);
    expect(JSON.parse(clean.stdout)).toMatchObject({ firstBad: null, reason: expect.stringMatching(/is good.*nothing in the range regressed/) });

    const older = evolve(["bisect", "--good", `gen-${planted}`, "--bad", `gen-${planted + 2}`, "--case", CASE, "--workspace", ws, "--json"], tmp.dir);
    expect(older.status, older.stderr).toBe(1);
    expect(JSON.parse(older.stdout)).toMatchObject({ firstBad: null, reason: expect.stringMatching(/already bad.*older than the range/) });
  });

  test("bad input exits 2: no predicate, unknown case, reversed range, unknown ref, missing --good", () => {
    const base = ["bisect", "--workspace", ws];
    for (const args of [
      ["--good", "gen-0", "--bad", "HEAD"],
      ["--good", "gen-0", "--bad", "HEAD", "--case", "no-such-case"],
      ["--good", "HEAD", "--bad", "gen-0", "--case", CASE],
      ["--good", "nope", "--bad", "HEAD", "--case", CASE],
      ["--bad", "HEAD", "--case", CASE],
    ]) {
      const r = evolve([...base, ...args], tmp.dir);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/evolve failed/);
    }
  });
});
