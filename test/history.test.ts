/**
 * History operations against native git: our revert gives the tree `git revert` gives, reset
 * keeps every commit reachable through backup refs, and bisect finds the commit `git bisect run`
 * finds. Real repositories in temp dirs; native git judges.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commitChanges, initRepository, readCommitFiles } from "../ledger/index.js";
import { RevertConflictError, revertCommit, revertTree } from "../ledger/revert.js";
import { BACKUP_PREFIX, listBackups, resetBranch } from "../ledger/reset.js";
import { bisect, bisectRange, type Verdict } from "../history/bisect-search.js";
import { firstParentRange } from "../ledger/index.js";
import { createRng } from "../evolution/rng.js";
import { git, GIT_ENV, gitStatus, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-history-");
afterAll(() => tmp.cleanup());

const lines = (...ls: string[]): string => `${ls.join("\n")}\n`;
const TOOL = "agent/tools/a.ts";
const BASE_TOOL = Array.from({ length: 10 }, (_, i) => `export const l${i + 1} = ${i + 1};`);

/** BASE_TOOL with some lines replaced: {2: "..."} replaces line 2. */
function tool(replace: Record<number, string>): string {
  return lines(...BASE_TOOL.map((line, i) => replace[i + 1] ?? line));
}

/** A repository written by the ledger: gen-0 plus one tagged commit per change set. */
async function ledgerRepo(name: string, generations: ReadonlyArray<Record<string, string | null>>): Promise<{ dir: string; commits: string[] }> {
  const dir = path.join(tmp.dir, name);
  const files = new Map([
    [TOOL, tool({})],
    ["agent/params.json", '{ "x": 1 }\n'],
    ["notes.md", lines("n1", "n2", "n3")],
  ]);
  const root = await initRepository(dir, files, { message: "evolve: gen 0: init\n", tagName: "gen-0", tagMessage: "gen 0" });
  const commits = [root.commit];
  for (const [i, changes] of generations.entries()) {
    const out = await commitChanges(dir, {
      branch: "main",
      parent: commits.at(-1)!,
      changes: new Map(Object.entries(changes)),
      message: `evolve: gen ${i + 1}: change\n\nEvolve-Generation: ${i + 1}\n`,
      tagName: `gen-${i + 1}`,
    });
    commits.push(out.commit);
  }
  return { dir, commits };
}

function fsckClean(dir: string): void {
  const r = gitStatus(dir, "fsck", "--strict");
  expect(r.status, r.out).toBe(0);
  expect(r.out).not.toMatch(/^(error|warning|missing|broken|bad)/m);
}

function statusClean(dir: string): void {
  expect(git(dir, "status", "--porcelain")).toBe("");
}

/** What native `git revert --no-edit target` does in `clone` on top of `tip`: the tree, or the conflicting files. */
function nativeRevert(clone: string, tip: string, target: string): { tree: string } | { conflicts: string[] } {
  git(clone, "reset", "-q", "--hard", tip);
  const r = gitStatus(clone, "revert", "--no-edit", target);
  if (r.status === 0) return { tree: git(clone, "rev-parse", "HEAD^{tree}") };
  const conflicts = git(clone, "diff", "--name-only", "--diff-filter=U").split("\n").filter(Boolean).sort();
  gitStatus(clone, "revert", "--abort");
  // An empty revert: git stops with "nothing to commit"; the revert's tree is the tip's.
  if (conflicts.length === 0 && /nothing to commit/.test(r.out)) return { tree: git(clone, "rev-parse", `${tip}^{tree}`) };
  if (conflicts.length === 0) throw new Error(`native revert of ${target} failed without conflicts:\n${r.out}`);
  return { conflicts };
}

async function ourRevert(dir: string, tip: string, target: string): Promise<{ tree: string } | { conflicts: string[] }> {
  try {
    return { tree: (await revertTree(dir, tip, target)).tree };
  } catch (error) {
    if (error instanceof RevertConflictError) return { conflicts: error.files };
    throw error;
  }
}

describe("revertCommit / revertTree: the tree native git revert gives", () => {
  let dir: string;
  let c: string[];
  let clone: string;
  const message = (info: { target: string; targetSubject: string; changed: string[] }) =>
    `evolve: revert ${info.targetSubject}\n\nThis reverts commit ${info.target}.\n\nEvolve-Reverts: ${info.target}\n`;

  beforeAll(async () => {
    // Lines 2 and 8 of the tool are each changed twice; line 5 once; files added and deleted.
    ({ dir, commits: c } = await ledgerRepo("revert", [
      { [TOOL]: tool({ 2: "export const l2 = 20; // c1" }), "agent/params.json": '{ "x": 2 }\n' },
      { [TOOL]: tool({ 2: "export const l2 = 20; // c1", 8: "export const l8 = 80; // c2" }), "agent/prompts/p.md": "prompt\n" },
      { [TOOL]: tool({ 2: "export const l2 = 200; // c3", 8: "export const l8 = 80; // c2" }), "notes.md": lines("n1", "n2 by c3", "n3") },
      { [TOOL]: tool({ 2: "export const l2 = 200; // c3", 5: "export const l5 = 50; // c4", 8: "export const l8 = 80; // c2" }), "notes.md": null },
      { [TOOL]: tool({ 2: "export const l2 = 200; // c3", 5: "export const l5 = 50; // c4", 8: "export const l8 = 800; // c5" }), "agent/params.json": '{ "x": 3 }\n' },
    ]));
    clone = path.join(tmp.dir, "revert-clone");
    git(tmp.dir, "clone", "-q", dir, clone);
  });

  test("reverting the tip commits its parent's tree; work tree, index and tag follow", async () => {
    const tip = c[5]!;
    const native = nativeRevert(clone, tip, tip);
    const out = await revertCommit(dir, { branch: "main", target: "gen-5", message, tagName: "gen-6", tagMessage: "gen 6" });
    expect(native).toEqual({ tree: git(dir, "rev-parse", `${c[4]}^{tree}`) });
    expect(out.tree).toBe((native as { tree: string }).tree);
    expect(out.changed).toEqual(["agent/params.json", TOOL]);
    expect(git(dir, "rev-parse", "HEAD")).toBe(out.commit);
    expect(git(dir, "rev-parse", "HEAD^")).toBe(tip);
    expect(git(dir, "rev-parse", "gen-6^{commit}")).toBe(out.commit);
    expect(git(dir, "log", "-1", "--format=%(trailers:key=Evolve-Reverts,valueonly)").trim()).toBe(tip);
    expect(git(dir, "log", "-1", "--format=%s")).toBe("evolve: revert evolve: gen 5: change");
    expect(readFileSync(path.join(dir, TOOL), "utf8")).toBe(git(dir, "show", `HEAD:${TOOL}`) + "\n");
    statusClean(dir);
    fsckClean(dir);
  });

  test("reverting a commit in the middle 3-way merges like git (same file changed later elsewhere)", async () => {
    const tip = git(dir, "rev-parse", "HEAD");
    git(clone, "fetch", "-q", "origin");
    const target = c[4]!; // line 5 + delete notes.md; the tool changed again afterwards (line 8, then the tip revert)
    const native = nativeRevert(clone, tip, target);
    expect("tree" in native).toBe(true);
    const refsBefore = git(dir, "for-each-ref");
    const measured = await revertTree(dir, tip, target);
    expect(measured.changed).toEqual([TOOL, "notes.md"]);
    expect(git(dir, "for-each-ref")).toBe(refsBefore); // revertTree moves nothing
    statusClean(dir);
    const out = await revertCommit(dir, { branch: "main", target, message });
    expect(out.tree).toBe(measured.tree);
    expect(out.tree).toBe((native as { tree: string }).tree);
    expect(out.changed).toEqual(measured.changed);
    expect(readFileSync(path.join(dir, "notes.md"), "utf8")).toBe(lines("n1", "n2 by c3", "n3"));
    statusClean(dir);
    fsckClean(dir);
  });

  test("a revert of a revert gives native git's tree", async () => {
    const tip = git(dir, "rev-parse", "HEAD");
    git(clone, "fetch", "-q", "origin");
    const native = nativeRevert(clone, tip, tip);
    const nativeOlder = nativeRevert(clone, tip, "HEAD~1");
    const older = await revertTree(dir, tip, `${tip}~1`); // revert of the tip revert, under a later commit
    expect({ tree: older.tree }).toEqual(nativeOlder);
    const out = await revertCommit(dir, { branch: "main", target: tip, message });
    expect({ tree: out.tree }).toEqual(native);
    expect(existsSync(path.join(dir, "notes.md"))).toBe(false);
    statusClean(dir);
    fsckClean(dir);
  });

  test("a conflicting revert names the files and changes nothing", async () => {
    const tip = git(dir, "rev-parse", "HEAD");
    const target = c[1]!; // line 2 was changed again by gen-3
    git(clone, "fetch", "-q", "origin");
    const native = nativeRevert(clone, tip, target);
    expect(native).toEqual({ conflicts: [TOOL] });
    const toolBefore = readFileSync(path.join(dir, TOOL), "utf8");
    const refsBefore = git(dir, "for-each-ref");
    const error = await revertCommit(dir, { branch: "main", target, message }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevertConflictError);
    expect((error as RevertConflictError).files).toEqual([TOOL]);
    expect((error as Error).message).toContain(TOOL);
    expect(git(dir, "for-each-ref")).toBe(refsBefore);
    expect(readFileSync(path.join(dir, TOOL), "utf8")).toBe(toolBefore);
    statusClean(dir);
    fsckClean(dir);
    // The scratch commits exist, but no ref reaches them.
    expect(git(dir, "log", "--all", "--format=%s")).not.toContain("scratch");
  });

  test("every commit of the history: same tree or same conflicting files as native git", async () => {
    const tip = git(dir, "rev-parse", "HEAD");
    git(clone, "fetch", "-q", "origin");
    const history = git(dir, "rev-list", "--first-parent", tip).split("\n");
    expect(history.length).toBe(9);
    let conflicts = 0;
    for (const target of history) {
      const native = nativeRevert(clone, tip, target);
      expect(await ourRevert(dir, tip, target), `revert of ${target}`).toEqual(native);
      if ("conflicts" in native) conflicts++;
    }
    expect(conflicts).toBeGreaterThan(0);
    expect(conflicts).toBeLessThan(history.length);
    expect(git(dir, "rev-parse", "HEAD")).toBe(tip);
    statusClean(dir);
    fsckClean(dir);
  });

  test("line-level merges agree with git: adjacent, overlapping, inserted and deleted lines, file ends", async () => {
    // One file per case; the target changes it, a later commit changes it again nearby.
    const base = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    const edit = (r: Record<number, string | null>) => lines(...base.flatMap((l, i) => (i + 1 in r ? (r[i + 1] === null ? [] : [r[i + 1]!]) : [l])));
    const cases: Record<string, [Record<number, string | null>, Record<number, string | null>]> = {
      "adjacent-after": [{ 5: "X5" }, { 6: "Y6" }],
      "adjacent-before": [{ 6: "X6" }, { 5: "Y5" }],
      "one-apart": [{ 5: "X5" }, { 7: "Y7" }],
      "same-line": [{ 5: "X5" }, { 5: "Y5" }],
      "insert-after": [{ 5: "X5" }, { 6: "new\nline 6" }],
      "delete-adjacent": [{ 5: "X5" }, { 6: null }],
      "first-lines": [{ 1: "X1" }, { 2: "Y2" }],
      "last-lines": [{ 12: "X12" }, { 11: "Y11" }],
      "append": [{ 12: "X12" }, { 12: "X12\nextra" }],
    };
    const repo = path.join(tmp.dir, "revert-lines");
    const files = new Map(Object.keys(cases).map((name) => [`${name}.txt`, edit({})]));
    let tip = (await initRepository(repo, files, { message: "base\n", tagName: "base", tagMessage: "base" })).commit;
    const targets = new Map<string, string>();
    for (const [name, [first]] of Object.entries(cases)) {
      tip = (await commitChanges(repo, { branch: "main", parent: tip, changes: new Map([[`${name}.txt`, edit(first)]]), message: `first ${name}\n` })).commit;
      targets.set(name, tip);
    }
    for (const [name, [first, second]] of Object.entries(cases)) {
      tip = (await commitChanges(repo, { branch: "main", parent: tip, changes: new Map([[`${name}.txt`, edit({ ...first, ...second })]]), message: `second ${name}\n` })).commit;
    }
    const linesClone = path.join(tmp.dir, "revert-lines-clone");
    git(tmp.dir, "clone", "-q", repo, linesClone);
    const outcomes: string[] = [];
    for (const [name, target] of targets) {
      const native = nativeRevert(linesClone, tip, target);
      expect(await ourRevert(repo, tip, target), name).toEqual(native);
      outcomes.push("tree" in native ? "clean" : "conflict");
    }
    expect(outcomes).toContain("clean");
    expect(outcomes).toContain("conflict");
    fsckClean(repo);
  });

  test("refuses a dirty work tree, a merge commit, a commit outside the history and a no-op", async () => {
    const tip = git(dir, "rev-parse", "HEAD");
    writeFileSync(path.join(dir, TOOL), "dirty\n");
    await expect(revertCommit(dir, { branch: "main", target: c[4]!, message })).rejects.toThrow(/uncommitted changes in agent\/tools\/a\.ts/);
    expect(git(dir, "rev-parse", "HEAD")).toBe(tip);
    git(dir, "checkout", "--", TOOL);

    git(dir, "checkout", "-q", "-b", "side", c[3]!);
    writeFileSync(path.join(dir, "side.txt"), "side\n");
    git(dir, "add", "side.txt");
    git(dir, "commit", "-q", "-m", "side");
    const side = git(dir, "rev-parse", "HEAD");
    git(dir, "checkout", "-q", "main");
    await expect(revertTree(dir, tip, side)).rejects.toThrow(/not in the history/);
    git(dir, "merge", "-q", "--no-edit", "side");
    const merge = git(dir, "rev-parse", "HEAD");
    await expect(revertCommit(dir, { branch: "main", target: merge, message })).rejects.toThrow(/merge commit \(2 parents\)/);

    // gen-5's changes are undone on the branch (its revert was re-instated): nothing to revert.
    await expect(revertCommit(dir, { branch: "main", target: c[5]!, message })).rejects.toThrow(/changes nothing on main/);
    expect(git(dir, "rev-parse", "HEAD")).toBe(merge);
    statusClean(dir);
    fsckClean(dir);
  });
});

describe("resetBranch", () => {
  let dir: string;
  let c: string[];

  beforeAll(async () => {
    ({ dir, commits: c } = await ledgerRepo("reset", [
      { [TOOL]: tool({ 1: "export const l1 = 10;" }) },
      { "agent/prompts/p.md": "prompt\n", "notes.md": null },
      { [TOOL]: tool({ 1: "export const l1 = 100;" }), "agent/params.json": '{ "x": 3 }\n' },
    ]));
  });

  test("resets to an earlier tag; the old tip stays reachable from the backup ref", async () => {
    const reachableBefore = new Set(git(dir, "rev-list", "--all").split("\n"));
    const out = await resetBranch(dir, { branch: "main", target: "gen-1" });
    expect(out).toEqual({ from: c[3], to: c[1], backupRef: expect.stringMatching(/^refs\/evolve\/backups\/main\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/) });
    expect(git(dir, "log", "-1", "--format=%H", out.backupRef)).toBe(c[3]);
    expect(git(dir, "rev-list", out.backupRef).split("\n")).toEqual([...c].reverse());
    expect(git(dir, "rev-parse", "HEAD")).toBe(c[1]);
    statusClean(dir);
    expect(existsSync(path.join(dir, "agent/prompts"))).toBe(false); // file gone, empty directory too
    expect(readFileSync(path.join(dir, "notes.md"), "utf8")).toBe(lines("n1", "n2", "n3"));
    expect(readFileSync(path.join(dir, TOOL), "utf8")).toBe(tool({ 1: "export const l1 = 10;" }));
    const reachableAfter = new Set(git(dir, "rev-list", "--all").split("\n"));
    for (const commit of reachableBefore) expect(reachableAfter.has(commit)).toBe(true);
    expect(await listBackups(dir)).toEqual([{ ref: out.backupRef, commit: c[3] }]);
    fsckClean(dir);
  });

  test("a dirty work tree is refused, naming the files, and nothing changes", async () => {
    const tip = git(dir, "rev-parse", "HEAD");
    writeFileSync(path.join(dir, TOOL), "local edit\n");
    const backups = await listBackups(dir);
    await expect(resetBranch(dir, { branch: "main", target: "gen-3" })).rejects.toThrow(/uncommitted changes in agent\/tools\/a\.ts; .*force/);
    expect(git(dir, "rev-parse", "HEAD")).toBe(tip);
    expect(readFileSync(path.join(dir, TOOL), "utf8")).toBe("local edit\n");
    expect(await listBackups(dir)).toEqual(backups);
    git(dir, "checkout", "--", TOOL);
  });

  test("an untracked file the target would overwrite counts as dirt", async () => {
    writeFileSync(path.join(dir, "agent/prompts-p.tmp"), "not in the target\n"); // untracked, harmless
    mkdirSync(path.join(dir, "agent/prompts")); // the first reset removed it with p.md, as git does
    writeFileSync(path.join(dir, "agent/prompts/p.md"), "my own prompt\n"); // untracked; gen-3 has another p.md
    await expect(resetBranch(dir, { branch: "main", target: "gen-3" })).rejects.toThrow(/uncommitted changes in agent\/prompts\/p\.md;/);
    rmSync(path.join(dir, "agent/prompts"), { recursive: true });
  });

  test("force saves modified, deleted, staged and binary work in a backup commit, then resets", async () => {
    const tip = git(dir, "rev-parse", "HEAD");
    writeFileSync(path.join(dir, TOOL), "modified\n");
    unlinkSync(path.join(dir, "notes.md"));
    writeFileSync(path.join(dir, "staged.txt"), "staged new file\n");
    git(dir, "add", "staged.txt");
    const binary = Buffer.from([0, 1, 2, 255, 254, 10]);
    writeFileSync(path.join(dir, "agent/params.json"), binary);
    chmodSync(path.join(dir, "agent/params.json"), 0o755);

    const out = await resetBranch(dir, { branch: "main", target: "gen-3", force: true });
    expect(out.from).toBe(tip);
    expect(out.to).toBe(c[3]);
    const saved = out.worktreeBackupRef!;
    expect(saved).toBe(`${out.backupRef}-worktree`);
    expect(git(dir, "show", `${saved}:${TOOL}`)).toBe("modified");
    expect(git(dir, "show", `${saved}:staged.txt`)).toBe("staged new file");
    expect(gitStatus(dir, "cat-file", "-e", `${saved}:notes.md`).status).not.toBe(0);
    expect(execFileSync("git", ["cat-file", "blob", `${saved}:agent/params.json`], { cwd: dir, env: { ...process.env, ...GIT_ENV } })).toEqual(binary);
    expect(git(dir, "ls-tree", saved, "agent/params.json")).toMatch(/^100755 /);
    expect(git(dir, "rev-parse", `${saved}^`)).toBe(tip);
    expect(gitStatus(dir, "cat-file", "-e", `${saved}:agent/prompts-p.tmp`).status).not.toBe(0); // untracked, not saved

    expect(git(dir, "rev-parse", "HEAD")).toBe(c[3]);
    expect(git(dir, "status", "--porcelain")).toBe("?? agent/prompts-p.tmp");
    expect(existsSync(path.join(dir, "staged.txt"))).toBe(false);
    expect(readFileSync(path.join(dir, TOOL), "utf8")).toBe(tool({ 1: "export const l1 = 100;" }));
    expect(readFileSync(path.join(dir, "agent/prompts-p.tmp"), "utf8")).toBe("not in the target\n");
    const refs = (await listBackups(dir)).map((b) => b.ref);
    expect(refs).toHaveLength(3);
    expect(refs.every((r) => r.startsWith(`${BACKUP_PREFIX}main/`))).toBe(true);
    fsckClean(dir);
  });

  test("a branch that is not checked out moves alone; the work tree is not touched", async () => {
    git(dir, "branch", "other", "gen-2");
    writeFileSync(path.join(dir, TOOL), "dirty but irrelevant\n");
    const out = await resetBranch(dir, { branch: "other", target: "gen-0" });
    expect(git(dir, "rev-parse", "other")).toBe(c[0]);
    expect(git(dir, "rev-parse", out.backupRef)).toBe(c[2]);
    expect(out.backupRef.startsWith(`${BACKUP_PREFIX}other/`)).toBe(true);
    expect(readFileSync(path.join(dir, TOOL), "utf8")).toBe("dirty but irrelevant\n");
    git(dir, "checkout", "--", TOOL);
    await expect(resetBranch(dir, { branch: "nope", target: "gen-0" })).rejects.toThrow(/branch nope does not exist/);
    await expect(resetBranch(dir, { branch: "main", target: "gen-99" })).rejects.toThrow(/cannot resolve revision "gen-99"/);
  });
});

describe("bisect: the algorithm", () => {
  const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `c${i}`);
  const index = (commit: string): number => Number(commit.slice(1));

  /** isGood for a regression at `first`; throws if asked about the same commit twice. */
  function oracle(first: number, skip: ReadonlySet<number> = new Set()): { isGood: (c: string) => Promise<Verdict>; asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      isGood: async (commit) => {
        if (asked.includes(commit)) throw new Error(`${commit} evaluated twice`);
        asked.push(commit);
        if (commit === "good") return true;
        const i = index(commit);
        return skip.has(i) ? "skip" : i < first;
      },
    };
  }

  test("finds the first bad commit within ceil(log2 n) + 1 evaluations (chains of 1, 2, 3, 200, 257)", async () => {
    const rng = createRng("bisect");
    for (const n of [1, 2, 3, 200, 257]) {
      const positions = new Set([0, n - 1, ...Array.from({ length: 12 }, () => rng.int(n))]);
      for (const first of positions) {
        const chain = ids(n);
        const { isGood, asked } = oracle(first);
        const result = await bisect(chain, isGood);
        expect(result.firstBad, `n=${n} first=${first}`).toBe(chain[first]);
        expect(result.evaluations).toBe(asked.length);
        expect(result.evaluations).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 1);
        expect(result.steps.map((s) => s.commit)).toEqual(asked);
        expect(result.candidates).toBeUndefined();

        // Verifying a good boundary costs exactly one more; trusting the bad end saves one.
        const withGood = oracle(first);
        const verified = await bisect(chain, withGood.isGood, { good: "good" });
        expect(verified.firstBad).toBe(chain[first]);
        expect(verified.evaluations).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 2);
        expect(withGood.asked[0]).toBe("good");
        const trusted = await bisect(chain, oracle(first).isGood, { knownBad: true });
        expect(trusted.firstBad).toBe(chain[first]);
        expect(trusted.evaluations).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      }
    }
  });

  test("a chain of one commit costs exactly one evaluation", async () => {
    const result = await bisect(["c0"], oracle(0).isGood);
    expect(result).toEqual({ firstBad: "c0", evaluations: 1, steps: [{ commit: "c0", verdict: false }] });
  });

  test("skipped commits: the answer is exact when it can be, else an ambiguous range holding it", async () => {
    const rng = createRng(7);
    let ambiguous = 0;
    let exact = 0;
    for (let round = 0; round < 300; round++) {
      const n = 1 + rng.int(60);
      const first = rng.int(n);
      const skip = new Set(ids(n).map(index).filter((i) => i !== n - 1 && rng.next() < 0.3));
      const { isGood, asked } = oracle(first, skip);
      const result = await bisect(ids(n), isGood);
      expect(new Set(asked).size).toBe(asked.length);
      if (result.firstBad !== null) {
        exact++;
        expect(result.firstBad).toBe(`c${first}`);
      } else {
        ambiguous++;
        const range = result.candidates!.map(index);
        expect(range).toContain(first);
        expect(range).toEqual(Array.from({ length: range.length }, (_, i) => range[0]! + i));
        expect(range.slice(0, -1).every((i) => skip.has(i))).toBe(true);
        expect(result.reason).toMatch(/cannot be measured/);
      }
    }
    expect(exact).toBeGreaterThan(0);
    expect(ambiguous).toBeGreaterThan(0);
  });

  test("a skipped midpoint is replaced by a neighbour", async () => {
    const { isGood, asked } = oracle(6, new Set([3]));
    const result = await bisect(ids(9), isGood);
    expect(result.firstBad).toBe("c6");
    expect(asked).toEqual(["c8", "c3", "c4", "c6", "c5"]);
  });

  test("verdicts are memoised by commit and can be shared between searches", async () => {
    const verdicts = new Map<string, Verdict>();
    const first = await bisect(ids(100), oracle(37).isGood, { verdicts, good: "good" });
    expect(first.firstBad).toBe("c37");
    expect(verdicts.size).toBe(first.evaluations);
    const again = await bisect(ids(100), oracle(37).isGood, { verdicts, good: "good" });
    expect(again.firstBad).toBe("c37");
    expect(again.evaluations).toBe(0);
    expect(again.steps.every((s) => s.cached === true)).toBe(true);
  });

  test("broken preconditions give no answer and say why", async () => {
    expect(await bisect(ids(5), oracle(99).isGood)).toMatchObject({ firstBad: null, evaluations: 1, reason: expect.stringMatching(/bad commit c4 is good/) });
    const goodIsBad = async (c: string): Promise<Verdict> => c !== "good" && false;
    expect(await bisect(ids(5), goodIsBad, { good: "good" })).toMatchObject({ firstBad: null, evaluations: 1, reason: expect.stringMatching(/good commit good is bad/) });
    expect(await bisect(ids(5), oracle(0, new Set([4])).isGood)).toMatchObject({ firstBad: null, reason: expect.stringMatching(/c4 cannot be measured/) });
    await expect(bisect([], oracle(0).isGood)).rejects.toThrow(/chain is empty/);
    await expect(bisect(["a", "b", "a"], oracle(0).isGood)).rejects.toThrow(/chain\[2\] a appears twice/);
    await expect(bisect(["c0"], async () => "maybe" as unknown as Verdict)).rejects.toThrow(/isGood\(c0\) returned "maybe"/);
  });
});

describe("bisect over a real repository agrees with `git bisect run --first-parent`", () => {
  let dir: string;

  beforeAll(() => {
    // 30 first-parent commits; a side branch (3 commits) merged at commit 15. status-a.txt
    // breaks on the main line, status-b.txt inside the side branch: first-parent bisect must
    // then blame the merge.
    dir = path.join(tmp.dir, "bisect");
    mkdirSync(dir);
    git(dir, "init", "-q", "-b", "main");
    const breakA = 1 + createRng("plant").int(28);
    const write = (file: string, text: string) => writeFileSync(path.join(dir, file), text);
    write("status-a.txt", "ok\n");
    write("status-b.txt", "ok\n");
    for (let i = 0; i < 30; i++) {
      write("log.txt", `${readFileSafe(path.join(dir, "log.txt"))}line ${i}\n`);
      if (i === breakA) write("status-a.txt", "broken\n");
      git(dir, "add", "-A");
      git(dir, "commit", "-q", "-m", `commit ${i}`);
      if (i === 10) git(dir, "branch", "side");
      if (i === 14) {
        git(dir, "checkout", "-q", "side");
        for (let s = 0; s < 3; s++) {
          write("side.txt", `side ${s}\n`);
          if (s === 1) write("status-b.txt", "broken\n");
          git(dir, "add", "-A");
          git(dir, "commit", "-q", "-m", `side ${s}`);
        }
        git(dir, "checkout", "-q", "main");
        git(dir, "merge", "-q", "--no-ff", "-m", "merge side", "side");
      }
    }
  });

  function readFileSafe(file: string): string {
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  function nativeFirstBad(file: string, good: string): string {
    git(dir, "bisect", "start", "--first-parent", "main", good);
    try {
      const out = git(dir, "bisect", "run", "sh", "-c", `grep -qx ok ${file}`);
      const match = /^([0-9a-f]{40}) is the first bad commit/m.exec(out);
      if (!match?.[1]) throw new Error(`no verdict from git bisect run:\n${out}`);
      return match[1];
    } finally {
      gitStatus(dir, "bisect", "reset");
    }
  }

  const reads = async (file: string, commit: string): Promise<Verdict> => (await readCommitFiles(dir, commit)).files.get(file) === "ok\n";

  test("the chain is git's first-parent range", async () => {
    const root = git(dir, "rev-list", "--max-parents=0", "main");
    expect(await firstParentRange(dir, root, "main")).toEqual(git(dir, "rev-list", "--first-parent", "--reverse", `${root}..main`).split("\n"));
    await expect(firstParentRange(dir, "side", "main")).rejects.toThrow(/not on the first-parent history/);
  });

  test.each(["status-a.txt", "status-b.txt"])("%s: same first bad commit as native git", async (file) => {
    const root = git(dir, "rev-list", "--max-parents=0", "main");
    const native = nativeFirstBad(file, root);
    const ours = await bisectRange(dir, { good: root, bad: "main" }, (commit) => reads(file, commit));
    expect(ours.chain).toHaveLength(30); // 30 commits + the merge, less the good root
    expect(ours.firstBad).toBe(native);
    expect(ours.evaluations).toBeLessThanOrEqual(Math.ceil(Math.log2(30)) + 2);
    if (file === "status-b.txt") expect(git(dir, "log", "-1", "--format=%s", native)).toBe("merge side");
    statusClean(dir);
  });
});
