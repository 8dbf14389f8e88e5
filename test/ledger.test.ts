import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import {
  appendAttempts,
  candidateTreeOid,
  commitChanges,
  currentBranch,
  dirtyPaths,
  firstParentLog,
  formatMessage,
  initRepository,
  openEvalCache,
  parseTrailers,
  readAttempts,
  readCommitFiles,
  repairWorktree,
  resolveRef,
  tagExists,
  unifiedDiff,
  type AttemptRecord,
} from "../ledger/index.js";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "evolve-ledger-"));
  temps.push(dir);
  return dir;
}

// Native git with no user or system configuration leaking in.
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Native",
  GIT_AUTHOR_EMAIL: "native@example.com",
  GIT_COMMITTER_NAME: "Native",
  GIT_COMMITTER_EMAIL: "native@example.com",
};

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", env: GIT_ENV });
}

const at = (seconds: number) => ({ name: "evolve", email: "evolve@localhost", timestamp: 1_700_000_000 + seconds });

const BASE_FILES: ReadonlyMap<string, string> = new Map([
  [".gitignore", "node_modules/\n*.log\n"],
  ["agent/tools/search.ts", "export function search(q: string): string[] {\n  return [q];\n}\n"],
  ["agent/tools/math.ts", "export const add = (a: number, b: number) => a + b;\n"],
  ["agent/params.json", '{ "temperature": 0.2 }\n'],
  ["docs/x/y.md", "# y\n"],
  ["a.txt", "a\n"],
  ["a-b", "dash\n"],
  ["a.b", "dot\n"],
  ["z/only.txt", "alone\n"],
  ["notes/no-newline.txt", "last line without newline"],
]);

async function newRepo(files: ReadonlyMap<string, string> = BASE_FILES): Promise<{ dir: string; commit: string }> {
  const dir = join(tempDir(), "ws");
  const message = formatMessage("evolve: generation 0", "The initial agent.", [["Evolve-Generation", "0"]]);
  const { commit } = await initRepository(dir, files, { message, tagName: "gen-0", tagMessage: "generation 0", author: at(0) });
  return { dir, commit };
}

function attempt(generation: number, base: string, operator: string): AttemptRecord {
  return {
    generation,
    base,
    tree: "0".repeat(40),
    operator,
    proposer: "builtin",
    description: `try ${operator}`,
    diff: "--- a/x\n+++ b/x\n",
    score: 0.5,
    holdout: null,
    reason: "rejected: score did not improve",
    metrics: { passed: 3, failed: 1 },
    at: `2024-01-0${generation}T00:00:00.000Z`,
  };
}

describe("initRepository", () => {
  it("creates a repository native git accepts, with a clean work tree and tag gen-0", async () => {
    const { dir, commit } = await newRepo();
    expect(git(dir, "fsck", "--strict")).toBe("");
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(git(dir, "rev-parse", "gen-0^{commit}").trim()).toBe(commit);
    expect(git(dir, "cat-file", "-t", "gen-0").trim()).toBe("tag");
    expect(git(dir, "log", "-1", "--format=%an <%ae> %at%n%(trailers:key=Evolve-Generation,valueonly)")).toBe(
      "evolve <evolve@localhost> 1700000000\n0\n\n",
    );
    expect(git(dir, "config", "core.filemode").trim()).toBe("true");
    expect(readFileSync(join(dir, "notes/no-newline.txt"), "utf8")).toBe("last line without newline");
    expect(await currentBranch(dir)).toBe("main");
  });

  it("refuses a directory that is not empty", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "keep.txt"), "x");
    await expect(initRepository(dir, BASE_FILES, { message: "m", tagName: "gen-0", tagMessage: "m" })).rejects.toThrow(/not empty/);
  });
});

describe("tree ids and commits", () => {
  it("computes in memory the tree that commitChanges records and that native git writes", async () => {
    const { dir } = await newRepo();
    // An executable file committed by native git: its mode must survive our rewrite.
    writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho 1\n");
    chmodSync(join(dir, "run.sh"), 0o755);
    git(dir, "add", "run.sh");
    git(dir, "commit", "-q", "-m", "native commit");
    const parent = git(dir, "rev-parse", "HEAD").trim();

    const changes = new Map<string, string | null>([
      ["agent/tools/search.ts", "export function search(q: string): string[] {\n  return [q, q];\n}\n"],
      ["z/only.txt", null], // leaves z/ empty: the tree must lose it
      ["new/deep/tool.ts", "export const t = 1;\n"],
      ["run.sh", "#!/bin/sh\necho 2\n"],
      ["docs/x/y.md", null], // directory docs/x becomes a file docs/x
      ["docs/x", "now a file\n"],
      // Git sorts directory "a" as "a/", i.e. after the files "a-b", "a.b" and "a.txt".
      ["a/inner.ts", "export {};\n"],
    ]);
    const expected = await candidateTreeOid(dir, parent, changes);

    const native = join(tempDir(), "native");
    execFileSync("git", ["clone", "-q", dir, native], { env: GIT_ENV });
    for (const [path, text] of changes) {
      if (text === null) rmSync(join(native, path), { force: true });
    }
    rmSync(join(native, "docs/x"), { recursive: true, force: true });
    for (const [path, text] of changes) {
      if (text === null) continue;
      mkdirSync(dirname(join(native, path)), { recursive: true });
      writeFileSync(join(native, path), text);
    }
    git(native, "add", "-A");
    expect(git(native, "write-tree").trim()).toBe(expected);

    const result = await commitChanges(dir, {
      branch: "main",
      parent,
      changes,
      message: formatMessage("evolve: generation 1", "", [["Evolve-Generation", "1"]]),
      tagName: "gen-1",
      tagMessage: "generation 1",
      author: at(100),
    });
    expect(result.tree).toBe(expected);
    expect(git(dir, "rev-parse", "HEAD^{tree}").trim()).toBe(expected);
    expect(git(dir, "ls-tree", "HEAD", "run.sh").split(" ")[0]).toBe("100755");
    expect(git(dir, "fsck", "--strict")).toBe("");
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(readFileSync(join(dir, "docs/x"), "utf8")).toBe("now a file\n");
    expect(existsSync(join(dir, "z"))).toBe(false);
  });

  it("tags the commit (annotated, tagger = committer) where native git finds it", async () => {
    const { dir, commit: parent } = await newRepo();
    const { commit } = await commitChanges(dir, {
      branch: "main",
      parent,
      changes: new Map([["a.txt", "b\n"]]),
      message: "evolve: generation 1\n",
      tagName: "gen-1",
      tagMessage: "generation 1: a.txt",
      author: at(60),
    });
    expect(git(dir, "rev-parse", "gen-1^{commit}").trim()).toBe(commit);
    expect(git(dir, "cat-file", "-t", "gen-1").trim()).toBe("tag");
    expect(git(dir, "cat-file", "-p", "gen-1")).toContain("tagger evolve <evolve@localhost> 1700000060 +0000\n\ngeneration 1: a.txt\n");
    expect(await resolveRef(dir, "gen-1")).toBe(commit);
    expect(await tagExists(dir, "gen-1")).toBe(true);
    expect(await tagExists(dir, "gen-2")).toBe(false);
  });

  it("refuses when the branch moved, and leaves branch and tags as they were", async () => {
    const { dir, commit: parent } = await newRepo();
    writeFileSync(join(dir, "a.txt"), "native\n");
    git(dir, "commit", "-q", "-am", "someone else");
    const moved = git(dir, "rev-parse", "main").trim();
    await expect(
      commitChanges(dir, { branch: "main", parent, changes: new Map([["a-b", "x\n"]]), message: "m", tagName: "gen-1" }),
    ).rejects.toThrow(/someone moved it/);
    expect(git(dir, "rev-parse", "main").trim()).toBe(moved);
    expect(await tagExists(dir, "gen-1")).toBe(false);
  });

  it("refuses to overwrite a local edit, an unchanged tree, and a tag already in the history", async () => {
    const { dir, commit: parent } = await newRepo();
    writeFileSync(join(dir, "a.txt"), "edited by hand\n");
    await expect(commitChanges(dir, { branch: "main", parent, changes: new Map([["a.txt", "ours\n"]]), message: "m" })).rejects.toThrow(
      /a\.txt has local modifications/,
    );
    await expect(commitChanges(dir, { branch: "main", parent, changes: new Map([["a-b", "dash\n"]]), message: "m" })).rejects.toThrow(
      /nothing to commit/,
    );
    await expect(commitChanges(dir, { branch: "main", parent, changes: new Map([["a-b", "1\n"]]), message: "m", tagName: "gen-0" })).rejects.toThrow(
      /gen-0 already exists/,
    );
    await expect(commitChanges(dir, { branch: "main", parent, changes: new Map([["debug.log", "1\n"]]), message: "m" })).rejects.toThrow(
      /\.gitignore/,
    );
    await expect(commitChanges(dir, { branch: "main", parent, changes: new Map([["../out", "1\n"]]), message: "m" })).rejects.toThrow(
      /"\.\." segment/,
    );
    expect(git(dir, "rev-parse", "main").trim()).toBe(parent);
  });

  it("overwrites a tag left on a commit outside the branch (a crashed earlier attempt)", async () => {
    const { dir, commit: parent } = await newRepo();
    const orphan = git(dir, "commit-tree", "-p", parent, "-m", "orphan", `${parent}^{tree}`).trim();
    git(dir, "tag", "-a", "-m", "stale", "gen-1", orphan);
    const { commit } = await commitChanges(dir, { branch: "main", parent, changes: new Map([["a.txt", "c\n"]]), message: "m", tagName: "gen-1" });
    expect(git(dir, "rev-parse", "gen-1^{commit}").trim()).toBe(commit);
  });
});

describe("trailers", () => {
  it("round-trip through formatMessage, parseTrailers and native git", async () => {
    const trailers = [
      ["Evolve-Generation", "3"],
      ["Evolve-Score", "0.75"],
      ["Evolve-Reason", "fixed\ncase search-1"],
    ] as const;
    const message = formatMessage("evolve: generation 3", "Swapped two arguments.\n\nSecond paragraph.", trailers);
    expect(message).toBe(
      "evolve: generation 3\n\nSwapped two arguments.\n\nSecond paragraph.\n\nEvolve-Generation: 3\nEvolve-Score: 0.75\nEvolve-Reason: fixed case search-1\n",
    );
    expect([...parseTrailers(message)]).toEqual([
      ["Evolve-Generation", "3"],
      ["Evolve-Score", "0.75"],
      ["Evolve-Reason", "fixed case search-1"],
    ]);
    expect(parseTrailers("subject only: not a trailer\n").size).toBe(0);
    expect(parseTrailers("subject\n\nbody line\nKey: value\n").size).toBe(0);
    expect(() => formatMessage("s", "", [["Bad Key", "v"]])).toThrow(/trailers\[0\]\.key/);
    expect(() => formatMessage("two\nlines", "", [])).toThrow(/one line/);

    const { dir, commit: parent } = await newRepo();
    await commitChanges(dir, { branch: "main", parent, changes: new Map([["a.txt", "3\n"]]), message });
    expect(git(dir, "log", "-1", "--format=%(trailers:key=Evolve-Score,valueonly)")).toBe("0.75\n\n");
    expect(git(dir, "log", "-1", "--format=%(trailers:only,unfold)")).toBe(
      "Evolve-Generation: 3\nEvolve-Score: 0.75\nEvolve-Reason: fixed case search-1\n\n",
    );
  });
});

describe("work tree", () => {
  it("dirtyPaths sees modified, deleted and staged files, not untracked or ignored ones", async () => {
    const { dir } = await newRepo();
    expect(await dirtyPaths(dir)).toEqual([]);
    writeFileSync(join(dir, "untracked.txt"), "u\n");
    writeFileSync(join(dir, "debug.log"), "ignored\n");
    expect(await dirtyPaths(dir)).toEqual([]);
    writeFileSync(join(dir, "a.txt"), "modified\n");
    rmSync(join(dir, "a-b"));
    writeFileSync(join(dir, "staged.txt"), "s\n");
    git(dir, "add", "staged.txt");
    expect(await dirtyPaths(dir)).toEqual(["a-b", "a.txt", "staged.txt"]);
  });

  it("repairWorktree finishes a work-tree update cut short after the branch moved", async () => {
    const { dir, commit: parent } = await newRepo();
    const changes = new Map<string, string | null>([
      ["a.txt", "next\n"],
      ["z/only.txt", null],
      ["added/file.ts", "export {};\n"],
      ["agent/params.json", '{ "temperature": 0.9 }\n'],
    ]);
    await commitChanges(dir, { branch: "main", parent, changes, message: "m" });
    // The state a SIGKILL between "move the ref" and "write the files" leaves: index and files of the parent.
    git(dir, "read-tree", parent);
    writeFileSync(join(dir, "a.txt"), BASE_FILES.get("a.txt") ?? "");
    mkdirSync(join(dir, "z"));
    writeFileSync(join(dir, "z/only.txt"), BASE_FILES.get("z/only.txt") ?? "");
    rmSync(join(dir, "added"), { recursive: true });
    writeFileSync(join(dir, "agent/params.json"), "{ hand edit }\n");
    expect(git(dir, "status", "--porcelain")).not.toBe("");

    const report = await repairWorktree(dir);
    expect(report.repaired).toEqual(["a.txt", "added/file.ts", "z/only.txt"]);
    expect(report.conflicts).toEqual(["agent/params.json"]);
    expect(git(dir, "status", "--porcelain")).toBe(" M agent/params.json\n");
  });
});

describe("readCommitFiles and resolveRef", () => {
  it("reads text files, skips binary ones, and commits keep the binary blobs as they were", async () => {
    const { dir } = await newRepo();
    writeFileSync(join(dir, "logo.bin"), Buffer.from([0x89, 0x50, 0x00, 0x01]));
    writeFileSync(join(dir, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    git(dir, "add", "logo.bin", "latin1.txt");
    git(dir, "commit", "-q", "-m", "binary");
    const read = await readCommitFiles(dir, "HEAD");
    expect(read.commit).toBe(git(dir, "rev-parse", "HEAD").trim());
    expect(read.tree).toBe(git(dir, "rev-parse", "HEAD^{tree}").trim());
    expect(read.skipped).toEqual(["latin1.txt", "logo.bin"]);
    expect([...read.files.keys()].sort()).toEqual([...BASE_FILES.keys()].sort());
    expect(read.files.get("agent/params.json")).toBe(BASE_FILES.get("agent/params.json"));

    const blobBefore = git(dir, "rev-parse", "HEAD:logo.bin").trim();
    await commitChanges(dir, { branch: "main", parent: read.commit, changes: new Map([["a.txt", "x\n"]]), message: "m" });
    expect(git(dir, "rev-parse", "HEAD:logo.bin").trim()).toBe(blobBefore);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("resolves HEAD~N, branches, annotated tags and short ids, and names what it cannot resolve", async () => {
    const { dir, commit: first } = await newRepo();
    let parent = first;
    for (let i = 1; i <= 3; i++) {
      parent = (await commitChanges(dir, { branch: "main", parent, changes: new Map([["a.txt", `${i}\n`]]), message: `c${i}`, tagName: `gen-${i}` })).commit;
    }
    expect(await resolveRef(dir, "HEAD")).toBe(parent);
    expect(await resolveRef(dir, "main")).toBe(parent);
    expect(await resolveRef(dir, "HEAD~3")).toBe(first);
    expect(await resolveRef(dir, "gen-3~2^")).toBe(first);
    expect(await resolveRef(dir, "gen-0")).toBe(first);
    expect(await resolveRef(dir, first.slice(0, 8))).toBe(first);
    expect(await resolveRef(dir, "HEAD~2")).toBe(git(dir, "rev-parse", "HEAD~2").trim());
    await expect(resolveRef(dir, "no-such-thing")).rejects.toThrow(/cannot resolve revision "no-such-thing"/);
    await expect(resolveRef(dir, "HEAD~9")).rejects.toThrow(/has no parent/);
    git(dir, "checkout", "-q", "--detach");
    await expect(currentBranch(dir)).rejects.toThrow(/detached/);
  });
});

describe("attempts", () => {
  it("append in batches as a git note native git shows", async () => {
    const { dir, commit } = await newRepo();
    await appendAttempts(dir, commit, [attempt(1, commit, "swap-args"), attempt(1, commit, "flip-compare")]);
    await appendAttempts(dir, commit, [attempt(2, commit, "drop-call")]);
    await appendAttempts(dir, commit, []);

    const shown = JSON.parse(git(dir, "notes", "--ref=evolve-attempts", "show", commit)) as { attempts: AttemptRecord[] };
    expect(shown.attempts.map((a) => a.operator)).toEqual(["swap-args", "flip-compare", "drop-call"]);
    expect(git(dir, "rev-list", "--count", "refs/notes/evolve-attempts").trim()).toBe("2");
    expect(git(dir, "fsck", "--strict")).toBe("");

    const { commit: next } = await commitChanges(dir, { branch: "main", parent: commit, changes: new Map([["a.txt", "n\n"]]), message: "m" });
    await appendAttempts(dir, next, [attempt(3, next, "rename")]);
    expect((await readAttempts(dir, commit)).map((a) => a.operator)).toEqual(["swap-args", "flip-compare", "drop-call"]);
    expect((await readAttempts(dir, "HEAD")).map((a) => a.operator)).toEqual(["rename"]);
    expect((await readAttempts(dir)).map((a) => a.generation)).toEqual([1, 1, 2, 3]);
  });

  it("reject bad records and bad notes with the field or line named", async () => {
    const { dir, commit } = await newRepo();
    const bad = { ...attempt(1, commit, "x"), score: "high" } as unknown as AttemptRecord;
    await expect(appendAttempts(dir, commit, [bad])).rejects.toThrow(/attempts\[0\]\.score: expected a finite number or null, got "high"/);
    git(dir, "notes", "--ref=evolve-attempts", "add", "-m", '{\n  "attempts": [\n    oops\n  ]\n}', commit);
    await expect(readAttempts(dir, commit)).rejects.toThrow(new RegExp(`note on ${commit}: line 3, column 5: invalid JSON: InvalidSymbol`));
  });
});

describe("evaluation cache", () => {
  it("persists across open and close, counts hits and misses, survives a torn last line", async () => {
    const { dir } = await newRepo();
    const cache = await openEvalCache(dir);
    expect(cache.get("t1", "s1", "m")).toBeUndefined();
    cache.set("t1", "s1", "m", { score: 0.5, cases: [1, 2] });
    cache.set("t2", "s1", "m", { score: 0.7 });
    await cache.flush();
    expect(cache.path).toBe(join(dir, ".git", "evolve", "eval-cache.jsonl"));
    expect(git(dir, "status", "--porcelain")).toBe("");

    const again = await openEvalCache(dir);
    expect(again.get("t1", "s1", "m")).toEqual({ score: 0.5, cases: [1, 2] });
    expect(again.get("t1", "s2", "m")).toBeUndefined();
    expect(again.get("t1", "s1", "other-model")).toBeUndefined();
    expect([again.hits, again.misses]).toEqual([1, 2]);

    writeFileSync(cache.path, `${readFileSync(cache.path, "utf8")}{"tree":"t3","su`);
    const torn = await openEvalCache(dir);
    expect(torn.get("t2", "s1", "m")).toEqual({ score: 0.7 });
    torn.set("t3", "s1", "m", 1);
    await torn.flush();
    expect((await openEvalCache(dir)).get("t3", "s1", "m")).toBe(1);

    // A bad line is a warning naming file, line and field, never a failure (see test/eval-cache.test.ts).
    writeFileSync(cache.path, '{"tree":"t1","suite":"s","model":"m","value":1}\n{"tree":"t2","suite":7,"model":"m","value":1}\n\n');
    const warned: string[] = [];
    const bad = await openEvalCache(dir, { warn: (m) => warned.push(m) });
    expect(bad.get("t1", "s", "m")).toBe(1);
    expect(warned).toEqual([expect.stringMatching(/eval-cache\.jsonl: 1 unreadable line\(s\) \(first: line 2: field "suite": expected a string\) skipped/)]);
  });
});

describe("firstParentLog", () => {
  it("walks 50 generations newest first with trailers and tags, and skips merged side branches", async () => {
    const { dir, commit: root } = await newRepo();
    let parent = root;
    for (let g = 1; g <= 50; g++) {
      const message = formatMessage(`evolve: generation ${g}`, "", [
        ["Evolve-Generation", String(g)],
        ["Evolve-Score", (g / 50).toFixed(2)],
      ]);
      parent = (await commitChanges(dir, { branch: "main", parent, changes: new Map([["a.txt", `${g}\n`]]), message, tagName: `gen-${g}`, author: at(g) })).commit;
    }
    const log = await firstParentLog(dir, "HEAD");
    expect(log).toHaveLength(51);
    expect(log.map((e) => e.commit)).toEqual(git(dir, "rev-list", "--first-parent", "HEAD").trim().split("\n"));
    expect(log[0]?.trailers.get("Evolve-Score")).toBe("1.00");
    expect(log[0]?.tags).toEqual(["gen-50"]);
    expect(log[0]?.subject).toBe("evolve: generation 50");
    expect(log[0]?.timestamp).toBe(1_700_000_050);
    expect(log[50]?.commit).toBe(root);
    expect(log[50]?.parents).toEqual([]);
    expect((await firstParentLog(dir, "gen-10", { limit: 3 })).map((e) => e.trailers.get("Evolve-Generation"))).toEqual(["10", "9", "8"]);

    git(dir, "checkout", "-q", "-b", "side", "gen-48");
    writeFileSync(join(dir, "side.txt"), "side\n");
    git(dir, "add", "side.txt");
    git(dir, "commit", "-q", "-m", "side work");
    git(dir, "checkout", "-q", "main");
    git(dir, "merge", "-q", "--no-ff", "-m", "merge side", "side");
    const merged = await firstParentLog(dir, "main");
    expect(merged).toHaveLength(52);
    expect(merged[0]?.parents).toHaveLength(2);
    expect(merged.some((e) => e.subject === "side work")).toBe(false);
  });
});

describe("unifiedDiff", () => {
  it("produces a patch git apply takes, giving the tree candidateTreeOid predicts", async () => {
    const { dir, commit } = await newRepo();
    const base = (await readCommitFiles(dir, commit)).files;
    const next = new Map(base);
    next.set("agent/tools/math.ts", "export const add = (a: number, b: number) => b + a;\n");
    next.set("notes/no-newline.txt", "last line without newline, edited");
    next.set("brand/new.ts", "export const fresh = true;\n");
    next.delete("a.txt");
    const patch = unifiedDiff(base, next);
    expect(patch).toContain("diff --git a/brand/new.ts b/brand/new.ts\nnew file mode 100644\n--- /dev/null\n+++ b/brand/new.ts\n");
    expect(patch).toContain("diff --git a/a.txt b/a.txt\ndeleted file mode 100644\n");
    expect(unifiedDiff(base, base)).toBe("");

    const changes = new Map<string, string | null>([...["agent/tools/math.ts", "notes/no-newline.txt", "brand/new.ts"]].map((p) => [p, next.get(p) ?? null]));
    changes.set("a.txt", null);
    const native = join(tempDir(), "native");
    execFileSync("git", ["clone", "-q", dir, native], { env: GIT_ENV });
    writeFileSync(join(native, "change.patch"), patch);
    git(native, "apply", "--index", "change.patch");
    expect(git(native, "write-tree").trim()).toBe(await candidateTreeOid(dir, commit, changes));
  });
});

describe("crash safety", () => {
  it("a ref lock left by a killed writer blocks commits, names itself, and repairWorktree clears it", async () => {
    const { dir, commit: parent } = await newRepo();
    writeFileSync(join(dir, ".git/refs/heads/main.lock"), "");
    const options = { branch: "main", parent, changes: new Map([["a.txt", "after lock\n"]]), message: "m" };
    await expect(commitChanges(dir, options)).rejects.toThrow(/refs\/heads\/main: locked by another process \(.*main\.lock exists/);
    expect(git(dir, "rev-parse", "main").trim()).toBe(parent);
    const report = await repairWorktree(dir);
    expect(report.leftovers).toEqual(["refs/heads/main.lock"]);
    expect(report.repaired).toEqual([]);
    const { commit } = await commitChanges(dir, options);
    expect(git(dir, "rev-parse", "main").trim()).toBe(commit);
  });

  it("a process killed with SIGKILL mid-run leaves a repo git accepts; repair and retry continue it", async () => {
    const { dir, commit } = await newRepo();
    const work = tempDir();
    const bundle = join(work, "ledger.mjs");
    await build({
      entryPoints: [join(ROOT, "ledger/index.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      mainFields: ["module", "main"],
      banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
      outfile: bundle,
      logLevel: "silent",
    });
    // Commits forever, one generation per loop, tag gen-N; prints each commit id.
    const script = join(work, "writer.mjs");
    writeFileSync(
      script,
      `import * as L from ${JSON.stringify(bundle)};
const dir = process.argv[2];
let parent = await L.resolveRef(dir, "main");
for (let n = (await L.firstParentLog(dir, parent)).length; ; n++) {
  const changes = new Map([["a.txt", "gen " + n + "\\n"], ["grow/f" + (n % 7) + ".ts", "export const n = " + n + ";\\n"]]);
  await L.appendAttempts(dir, parent, [{ generation: n, base: parent, tree: "t", operator: "op", proposer: "p", description: "d", diff: "", score: null, holdout: null, reason: "r", metrics: {}, at: "now" }]);
  parent = (await L.commitChanges(dir, { branch: "main", parent, changes, message: "gen " + n + "\\n", tagName: "gen-" + n })).commit;
  process.stdout.write(parent + "\\n");
}
`,
    );
    for (const afterLines of [2, 5, 9]) {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [script, dir], { stdio: ["ignore", "pipe", "pipe"] });
        let lines = 0;
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on("data", (chunk: Buffer) => {
          lines += chunk.toString().split("\n").length - 1;
          // Kill at a point that varies with scheduling: somewhere inside the next commit.
          if (lines >= afterLines) setImmediate(() => child.kill("SIGKILL"));
        });
        child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`))));
      });
      expect(execFileSync("git", ["-C", dir, "fsck", "--strict", "--no-dangling"], { env: GIT_ENV, encoding: "utf8" })).toBe("");
      const report = await repairWorktree(dir);
      expect(report.conflicts).toEqual([]);
      expect(git(dir, "status", "--porcelain", "--untracked-files=no")).toBe("");
      expect(await dirtyPaths(dir)).toEqual([]);
    }
    const log = await firstParentLog(dir, "main");
    expect(log[log.length - 1]?.commit).toBe(commit);
    expect(log.length).toBeGreaterThanOrEqual(16);
  });
});
