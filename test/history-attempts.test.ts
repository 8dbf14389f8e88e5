/**
 * `evolve attempts`: rejected candidates of a real run, read from git notes, and the retention that
 * keeps the notes bounded (checked with native `git notes`, `git gc` and `git count-objects`).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { commitChanges, initRepository, readAttempts, type AttemptRecord } from "../ledger/index.js";
import { appendAttempts, pruneAttempts } from "../ledger/attempts.js";
import { evolve, evolveJson, git, gitStatus, tempDir, fsckClean, generation } from "./helpers.js";

const tmp = tempDir("evolve-attempts-");
afterAll(() => tmp.cleanup());


describe("attempts: rejected candidates from a real run, and retention", () => {
  const ws = path.join(tmp.dir, "run");

  beforeAll(() => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    evolveJson(["run", "--workspace", ws, "--generations", "1", "--candidates", "8", "--budget", "8"], tmp.dir);
  }, 120_000);

  test("evolve attempts lists what the run recorded in git notes, filtered and with diffs", () => {
    const base = git(ws, "rev-parse", "gen-0^{commit}");
    const native = JSON.parse(git(ws, "notes", "--ref=evolve-attempts", "show", base)).attempts as AttemptRecord[];
    expect(native.length).toBeGreaterThan(0);
    const listed = evolveJson(["attempts", "--workspace", ws], tmp.dir);
    expect(listed.count).toBe(native.length);
    expect(listed.attempts.map((a: AttemptRecord) => a.tree)).toEqual(native.map((a) => a.tree));
    expect(listed.attempts[0].diff).toBeUndefined();
    for (const a of listed.attempts) {
      expect(a.generation).toBe(1);
      expect(a.base).toBe(base);
      expect(a.reason).not.toBe("");
      expect(typeof a.operator).toBe("string");
    }
    const withDiff = evolveJson(["attempts", "--gen", "1", "--diff", "--workspace", ws], tmp.dir);
    expect(withDiff.attempts.map((a: AttemptRecord) => a.diff)).toEqual(native.map((a) => a.diff));
    expect(withDiff.attempts.some((a: AttemptRecord) => a.diff.startsWith("diff --git"))).toBe(true);
    expect(evolveJson(["attempts", "--gen", "7", "--workspace", ws], tmp.dir).count).toBe(0);
    expect(evolveJson(["attempts", "--base", "HEAD", "--workspace", ws], tmp.dir).count).toBe(0);
    const human = evolve(["attempts", "--diff", "--workspace", ws], tmp.dir);
    expect(human.stdout).toContain("diff --git");
    expect(human.stdout).toContain(native[0]!.reason);
    expect(evolve(["attempts", "--gen", "x", "--workspace", ws], tmp.dir).status).toBe(2);
    expect(evolve(["attempts", "--base", "nope", "--workspace", ws], tmp.dir).status).toBe(2);
  });

  test("attempts --prune applies the config's retention; native git sees one parentless notes commit", async () => {
    const before = evolveJson(["attempts", "--workspace", ws], tmp.dir).attempts as AttemptRecord[];
    expect(before.length).toBeGreaterThan(2);
    const config = readFileSync(path.join(ws, "evolve.config.yaml"), "utf8");
    await commitChanges(ws, {
      branch: "main",
      parent: git(ws, "rev-parse", "HEAD"),
      changes: new Map([["evolve.config.yaml", `${config}\nhistory:\n  attemptsPerBase: 2\n`]]),
      message: "keep two attempts per base\n",
    });
    const r = evolveJson(["attempts", "--prune", "--workspace", ws], tmp.dir);
    expect(r.droppedAttempts).toBe(before.length - 2);
    expect(r.keptBases).toBe(1);
    const after = evolveJson(["attempts", "--workspace", ws], tmp.dir).attempts as AttemptRecord[];
    expect(after.map((a) => a.tree)).toEqual(before.slice(-2).map((a) => a.tree));
    expect(git(ws, "rev-list", "--count", "refs/notes/evolve-attempts")).toBe("1");
    expect(evolveJson(["attempts", "--prune", "--workspace", ws], tmp.dir).commit).toBeNull(); // nothing left to do
    fsckClean(ws);
  });
});

describe("attempts retention keeps the repository bounded (ledger + native git gc)", () => {
  const record = (generation: number, base: string, i: number, at: string): AttemptRecord => ({
    generation,
    base,
    tree: `${generation}-${i}`,
    operator: "literal",
    proposer: "builtin",
    description: `candidate ${i}`,
    diff: `diff --git a/x b/x\n-${"old ".repeat(50)}\n+${"new ".repeat(50)} ${generation}.${i}\n`,
    score: 0.5,
    holdout: null,
    reason: "rejected: no gain",
    metrics: { stage: "evaluate" },
    at,
  });

  test("newest bases kept, newest attempts per base kept, dropped notes garbage-collected, object count flat", async () => {
    const dir = path.join(tmp.dir, "retention");
    const first = await initRepository(dir, new Map([["a.txt", "0\n"]]), { message: "gen 0\n", tagName: "gen-0", tagMessage: "gen 0" });
    const retention = { bases: 3, perBase: 2 };
    let parent = first.commit;
    const bases: string[] = [];
    const noteBlobs = new Map<string, string>();
    const objectsAfter: number[] = [];
    for (let g = 1; g <= 12; g++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, g)).toISOString();
      await appendAttempts(dir, parent, [0, 1, 2].map((i) => record(g, parent, i, at)), { retention });
      for (const line of git(dir, "notes", "--ref=evolve-attempts", "list").split("\n")) {
        const [blob, commit] = line.split(" ");
        noteBlobs.set(commit!, blob!);
      }
      bases.push(parent);
      parent = (await commitChanges(dir, { branch: "main", parent, changes: new Map([["a.txt", `${g}\n`]]), message: `gen ${g}\n` })).commit;
      if (g >= 4) {
        git(dir, "gc", "--quiet", "--prune=now");
        const counts = git(dir, "count-objects", "-v");
        expect(counts).toMatch(/^count: 0$/m); // nothing unreachable survives gc
        // The branch holds g + 1 commits, each with its own tree and blob, plus the gen-0 tag.
        objectsAfter.push(Number(/^in-pack: (\d+)$/m.exec(counts)![1]) - (3 * (g + 1) + 1));
      }
    }
    const listed = git(dir, "notes", "--ref=evolve-attempts", "list").split("\n").map((l) => l.split(" ")[1]);
    expect(listed.sort()).toEqual(bases.slice(-3).sort());
    for (const base of bases.slice(-3)) {
      const note = JSON.parse(git(dir, "notes", "--ref=evolve-attempts", "show", base));
      expect(note.attempts.map((a: AttemptRecord) => a.tree)).toEqual([1, 2].map((i) => `${bases.indexOf(base) + 1}-${i}`));
    }
    expect(git(dir, "rev-list", "--count", "refs/notes/evolve-attempts")).toBe("1");
    // The note of the oldest base is gone from the object store, not only from the ref.
    expect(gitStatus(dir, "cat-file", "-e", noteBlobs.get(bases[0]!)!).status).not.toBe(0);
    expect(await readAttempts(dir, bases[0])).toEqual([]);
    // What the notes keep stays constant while the history grows: 3 note blobs, their tree, one commit.
    expect(objectsAfter).toEqual(objectsAfter.map(() => 5));
    fsckClean(dir);

    // Without a retention nothing is dropped and the notes history grows (the old behaviour).
    await appendAttempts(dir, "HEAD", [record(13, parent, 0, new Date().toISOString())]);
    expect(git(dir, "rev-list", "--count", "refs/notes/evolve-attempts")).toBe("2");
    expect((await pruneAttempts(dir, { bases: 0, perBase: 0 })).droppedAttempts).toBe(0);
    expect(git(dir, "rev-list", "--count", "refs/notes/evolve-attempts")).toBe("1");
    await expect(appendAttempts(dir, "HEAD", [record(13, parent, 1, "x")], { retention: { bases: -1, perBase: 0 } })).rejects.toThrow(/retention\.bases: expected an integer >= 0, got -1/);
  });
});
