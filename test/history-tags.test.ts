/**
 * `evolve tag` (known-good only after a stability re-check), `evolve reset --to TAG` (backups first)
 * and `evolve log --all` through the built CLI, judged by native git.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commitChanges, formatMessage } from "../ledger/index.js";
import { evolve, evolveJson, git, gitStatus, tempDir, fsckClean, generation } from "./helpers.js";

const tmp = tempDir("evolve-history-cli-");
afterAll(() => tmp.cleanup());



const MEDIAN_BUG = "return (sorted[mid]! + sorted[mid + 1]!) / 2;";
const MEDIAN_FIX = "return (sorted[mid]! + sorted[mid - 1]!) / 2;";

describe("tag and reset: known-good tags and the way back to them", () => {
  const ws = path.join(tmp.dir, "textkit");

  beforeAll(async () => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    await generation(ws, 1, "fix median of even lists", { "agent/tools/numbers.ts": [[MEDIAN_BUG, MEDIAN_FIX]] });
  }, 60_000);

  test("tag: a stable tree is tagged known-good with its metrics; native git reads them", () => {
    const t = evolveJson(["tag", "known-good", "--repeats", "2", "--workspace", ws], tmp.dir);
    const head = git(ws, "rev-parse", "HEAD");
    expect(t.ok).toBe(true);
    expect(t.commit).toBe(head);
    expect(git(ws, "cat-file", "-t", "known-good")).toBe("tag");
    expect(git(ws, "rev-parse", "known-good^{commit}")).toBe(head);
    const measured = evolveJson(["eval", "HEAD", "--workspace", ws, "--no-cache"], tmp.dir);
    expect(t.score).toBe(measured.score);
    expect(Number(git(ws, "tag", "-l", "known-good", "--format=%(trailers:key=Evolve-Score,valueonly)"))).toBe(measured.score);
    expect(git(ws, "tag", "-l", "known-good", "--format=%(trailers:key=Evolve-Known-Good,valueonly)")).toBe("2");
    const json = JSON.parse(git(ws, "tag", "-l", "known-good", "--format=%(contents:body)").split("\n\n")[0]!);
    expect(json).toMatchObject({ knownGood: true, commit: head, score: measured.score, passed: measured.passed, repeats: 2 });
    const again = evolve(["tag", "known-good", "--workspace", ws], tmp.dir);
    expect(again.status, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/tag known-good already exists/);
    for (const args of [["tag", "bad..name"], ["tag", "x", "--repeats", "0"], ["tag", "x", "--ref", "nope"]]) {
      const bad = evolve([...args, "--workspace", ws], tmp.dir);
      expect(bad.status, `${args.join(" ")}: ${bad.stderr}`).toBe(2);
    }
  });

  test("tag refuses a tree that fails a mustPass case", async () => {
    await generation(ws, 2, "break slugs", { "agent/tools/text.ts": [['words.join("-")', 'words.join("_")']] });
    const r = evolve(["tag", "broken", "--repeats", "1", "--workspace", ws, "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/mustPass case.*slugify-basic/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, mustPassFailed: expect.arrayContaining(["slugify-basic"]) });
    expect(git(ws, "tag", "-l", "broken")).toBe("");
  });

  test("tag refuses a tree whose results differ between runs", async () => {
    // Five passing cases each fail at random: six runs agree by chance with probability 32^-5.
    await generation(ws, 3, "flaky helpers", {
      "agent/tools/text.ts": [
        ['words.join("_")', 'words.join("-")'],
        ["  const words = title", "  if (title.length > 12 && Math.random() < 0.5) return \"?\";\n  const words = title"],
        ["  const matches = text.match", "  if (text.trim() !== \"\" && Math.random() < 0.5) return -1;\n  const matches = text.match"],
      ],
      "agent/tools/numbers.ts": [["  const sorted = [...values]", "  if (values.length % 2 === 0 && Math.random() < 0.5) return -1;\n  const sorted = [...values]"]],
    });
    const r = evolve(["tag", "flaky", "--repeats", "6", "--workspace", ws, "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/flaky over 6 runs/);
    const report = JSON.parse(r.stdout);
    expect(report.mustPassFailed).toEqual([]);
    expect(report.flaky.length).toBeGreaterThan(0);
    for (const f of report.flaky) expect(["slugify-punctuation", "slugify-accents", "wordcount-basic", "median-even", "median-even-holdout"]).toContain(f.id);
    expect(git(ws, "tag", "-l", "flaky")).toBe("");
  });

  test("reset --to a known-good tag: dirty refused, --force backs up tip and work; log --all and native git reach both", () => {
    const oldTip = git(ws, "rev-parse", "HEAD");
    const file = path.join(ws, "agent/tools/text.ts");
    writeFileSync(file, `${readFileSync(file, "utf8")}// unsaved idea\n`);
    const refused = evolve(["reset", "--to", "known-good", "--workspace", ws], tmp.dir);
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/uncommitted changes in agent\/tools\/text\.ts/);
    expect(refused.stderr).toMatch(/--force/);
    expect(git(ws, "rev-parse", "HEAD")).toBe(oldTip);
    expect(git(ws, "for-each-ref", "refs/evolve")).toBe("");

    const r = evolveJson(["reset", "--to", "known-good", "--force", "--workspace", ws], tmp.dir);
    const good = git(ws, "rev-parse", "known-good^{commit}");
    expect(r.from).toBe(oldTip);
    expect(r.to).toBe(good);
    expect(git(ws, "rev-parse", "HEAD")).toBe(good);
    expect(git(ws, "symbolic-ref", "HEAD")).toBe("refs/heads/main");
    expect(git(ws, "status", "--porcelain")).toBe("");
    expect(r.backupRef).toMatch(/^refs\/evolve\/backups\/main\//);
    expect(git(ws, "rev-parse", r.backupRef)).toBe(oldTip);
    expect(git(ws, "show", `${r.worktreeBackupRef}:agent/tools/text.ts`)).toContain("// unsaved idea");
    expect(git(ws, "log", "--all", "--format=%H").split("\n")).toContain(oldTip);

    const all = evolveJson(["log", "--all", "--workspace", ws], tmp.dir);
    expect(all.commits[0].commit).toBe(good);
    expect(all.backups.map((b: { ref: string }) => b.ref)).toEqual([r.backupRef, r.worktreeBackupRef]);
    expect(all.backups[0]).toMatchObject({ commit: oldTip, generation: 3 });
    const tags = new Map(all.tags.map((t: { name: string }) => [t.name, t]));
    expect(tags.get("known-good")).toMatchObject({ commit: good, annotated: true, knownGood: 2, onBranch: true });
    expect(tags.get("gen-3")).toMatchObject({ commit: oldTip, onBranch: false });
    expect(Array.isArray(evolveJson(["log", "--workspace", ws], tmp.dir))).toBe(true); // plain log keeps its shape
    const human = evolve(["log", "--all", "--workspace", ws], tmp.dir).stdout;
    expect(human).toContain(r.backupRef);
    expect(human).toMatch(/known-good .*known-good \(2 runs\)/);

    // Back again through the backup ref, as the command suggests.
    const back = evolveJson(["reset", "--to", r.backupRef, "--workspace", ws], tmp.dir);
    expect(back.to).toBe(oldTip);
    expect(git(ws, "rev-parse", "HEAD")).toBe(oldTip);
    expect(evolve(["reset", "--to", "nope", "--workspace", ws], tmp.dir).status).toBe(2);
    expect(evolve(["reset", "--workspace", ws], tmp.dir).status).toBe(2);
    fsckClean(ws);
  });
});

