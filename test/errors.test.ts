/**
 * Every refusal and failure of the ledger and the history operations is an EvolveError with a
 * precise code and the facts as data, so callers (and --json) branch on the code, never the text;
 * the command line turns the code's kind into exit 2 (refused) or 1 (failed), one line, no stack.
 * Real repositories in temp dirs; native git makes the states a user would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ERROR_CODES, EvolveError, kindOf, type ErrorCode } from "../kernel/errors.js";
import {
  checkNewTagName,
  commitChanges,
  currentBranch,
  firstParentRange,
  gitdirOf,
  initRepository,
  openEvalCache,
  readAttempts,
  readRef,
  resolveRef,
} from "../ledger/index.js";
import { revertCommit, revertTree } from "../ledger/revert.js";
import { resetBranch } from "../ledger/reset.js";
import { openWorkspace } from "../workspace/open.js";
import { initWorkspace } from "../workspace/init.js";
import { measureRef } from "../history/measure-ref.js";
import { rollback } from "../history/rollback.js";
import { bisectHistory } from "../history/bisect.js";
import { tagKnownGood } from "../history/known-good.js";
import { evaluatePredicate, parsePredicate } from "../history/predicate.js";
import { evolve, git, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-errors-");
afterAll(() => tmp.cleanup());

/** The code and data of what `run` throws; fails the test if it throws anything but an EvolveError. */
async function caught(run: () => Promise<unknown>): Promise<{ code: ErrorCode; data: Record<string, unknown>; message: string }> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof EvolveError)) throw new Error(`expected an EvolveError, got ${String(e)}`, { cause: e });
    return { code: e.code, data: e.data as Record<string, unknown>, message: e.message };
  }
  throw new Error("expected a throw, got none");
}

const message = (): string => "evolve: revert\n";

describe("ledger errors carry their code and data", () => {
  let dir: string;
  const c: string[] = [];

  beforeAll(async () => {
    dir = path.join(tmp.dir, "ledger");
    const init = await initRepository(dir, new Map([["a.txt", "1\n"], ["b.txt", "1\n"], [".gitignore", "*.log\n"]]), { message: "gen 0\n", tagName: "gen-0", tagMessage: "gen 0" });
    c.push(init.commit);
    for (const [i, file] of ["a.txt", "b.txt"].entries()) {
      const r = await commitChanges(dir, { branch: "main", parent: c.at(-1)!, changes: new Map([[file, `${i + 2}\n`]]), message: `gen ${i + 1}\n`, tagName: `gen-${i + 1}` });
      c.push(r.commit);
    }
  });

  it("ref-not-found: an unknown revision, with the revision and why", async () => {
    const e = await caught(() => resolveRef(dir, "nope~2"));
    expect(e).toMatchObject({ code: "ref-not-found", data: { ref: "nope~2", reason: "no such branch, tag or commit", dir } });
    expect((await caught(() => resolveRef(dir, "HEAD~9"))).data).toMatchObject({ ref: "HEAD~9", reason: expect.stringMatching(/has no parent number 1/) });
    const tree = git(dir, "rev-parse", "HEAD^{tree}");
    expect((await caught(() => resolveRef(dir, tree))).data).toMatchObject({ ref: tree, reason: `${tree} names a tree, not a commit` });
    expect(await caught(() => resetBranch(dir, { branch: "nope", target: "gen-0" }))).toMatchObject({ code: "ref-not-found", data: { ref: "nope" } });
  });

  it("not-a-workspace, storage: no repository, a corrupt ref file; a corrupt cache line is only a warning", async () => {
    const bare = path.join(tmp.dir, "not-a-repo");
    mkdirSync(bare);
    expect(await caught(() => gitdirOf(bare))).toMatchObject({ code: "not-a-workspace", data: { dir: bare } });
    expect(await caught(() => openWorkspace(bare))).toMatchObject({ code: "not-a-workspace", data: { dir: bare } });

    const broken = path.join(tmp.dir, "broken");
    await initRepository(broken, new Map([["a.txt", "1\n"]]), { message: "gen 0\n", tagName: "gen-0", tagMessage: "gen 0" });
    writeFileSync(path.join(broken, ".git", "refs", "tags", "bad"), "not an id\n");
    expect(await caught(() => readRef(broken, "refs/tags/bad"))).toMatchObject({ code: "storage", data: { path: path.join(broken, ".git", "refs", "tags", "bad") } });
    mkdirSync(path.join(broken, ".git", "evolve"), { recursive: true });
    writeFileSync(path.join(broken, ".git", "evolve", "eval-cache.jsonl"), '{"tree":"t","suite":"s","model":"m","value":1}\n{"tree":1}\n');
    // The evaluation cache never stops a run (issue 10): the bad line is reported and skipped.
    const warned: string[] = [];
    expect((await openEvalCache(broken, { warn: (m) => warned.push(m) })).get("t", "s", "m")).toBe(1);
    expect(warned).toEqual([expect.stringMatching(/eval-cache\.jsonl: 1 unreadable line\(s\) \(first: line 2: field "tree": expected a string\)/)]);
  });

  it("storage: a hand-edited attempts note that is not JSON names the notes ref and the commit", async () => {
    const notes = path.join(tmp.dir, "notes");
    const init = await initRepository(notes, new Map([["a.txt", "1\n"]]), { message: "gen 0\n", tagName: "gen-0", tagMessage: "gen 0" });
    git(notes, "notes", "--ref=evolve-attempts", "add", "-m", "{ not json", init.commit);
    expect(await caught(() => readAttempts(notes, init.commit))).toMatchObject({ code: "storage", data: { path: "refs/notes/evolve-attempts", commit: init.commit } });
  });

  it("detached-head: the command needs a branch", async () => {
    const detached = path.join(tmp.dir, "detached");
    await initRepository(detached, new Map([["a.txt", "1\n"]]), { message: "gen 0\n", tagName: "gen-0", tagMessage: "gen 0" });
    git(detached, "checkout", "-q", "--detach");
    expect(await caught(() => currentBranch(detached))).toMatchObject({ code: "detached-head", data: { dir: detached } });
  });

  it("commitChanges: branch-moved, dirty-worktree, no-change, ignored-path, tag-exists, bad-ref-name, ref-locked", async () => {
    const tip = c.at(-1)!;
    expect(await caught(() => commitChanges(dir, { branch: "main", parent: c[0]!, changes: new Map([["a.txt", "x\n"]]), message: "m\n" }))).toMatchObject({
      code: "branch-moved",
      data: { ref: "refs/heads/main", branch: "main", expected: c[0], actual: tip },
    });
    writeFileSync(path.join(dir, "a.txt"), "edited\n");
    expect(await caught(() => commitChanges(dir, { branch: "main", parent: tip, changes: new Map([["a.txt", "x\n"]]), message: "m\n" }))).toMatchObject({
      code: "dirty-worktree",
      data: { dir, paths: ["a.txt"] },
    });
    git(dir, "checkout", "--", "a.txt");
    expect(await caught(() => commitChanges(dir, { branch: "main", parent: tip, changes: new Map([["a.txt", "2\n"]]), message: "m\n" }))).toMatchObject({ code: "no-change" });
    expect(await caught(() => commitChanges(dir, { branch: "main", parent: tip, changes: new Map([["x.log", "1\n"]]), message: "m\n" }))).toMatchObject({
      code: "ignored-path",
      data: { path: "x.log" },
    });
    expect(await caught(() => commitChanges(dir, { branch: "main", parent: tip, changes: new Map([["c.txt", "1\n"]]), message: "m\n", tagName: "gen-1" }))).toMatchObject({
      code: "tag-exists",
      data: { tag: "gen-1", commit: c[1] },
    });
    expect(await caught(() => commitChanges(dir, { branch: "ma..in", parent: tip, changes: new Map([["c.txt", "1\n"]]), message: "m\n" }))).toMatchObject({
      code: "bad-ref-name",
      data: { name: "ma..in" },
    });
    const lock = path.join(dir, ".git", "refs", "heads", "main.lock");
    writeFileSync(lock, "");
    try {
      expect(await caught(() => commitChanges(dir, { branch: "main", parent: tip, changes: new Map([["c.txt", "1\n"]]), message: "m\n" }))).toMatchObject({
        code: "ref-locked",
        data: { ref: "refs/heads/main", lockFile: lock },
      });
    } finally {
      rmSync(lock);
    }
    expect(git(dir, "rev-parse", "HEAD")).toBe(tip);
  });

  it("revert: merge-commit, not-in-history, no-change, dirty-worktree, revert-conflict", async () => {
    const repo = path.join(tmp.dir, "revert");
    const init = await initRepository(repo, new Map([["a.txt", "1\n"]]), { message: "gen 0\n", tagName: "gen-0", tagMessage: "gen 0" });
    const one = await commitChanges(repo, { branch: "main", parent: init.commit, changes: new Map([["a.txt", "2\n"]]), message: "gen 1\n" });
    const two = await commitChanges(repo, { branch: "main", parent: one.commit, changes: new Map([["a.txt", "3\n"]]), message: "gen 2\n" });
    expect(await caught(() => revertTree(repo, two.commit, one.commit))).toMatchObject({ code: "revert-conflict", data: { target: one.commit, files: ["a.txt"] } });
    git(repo, "checkout", "-q", "-b", "side", init.commit);
    writeFileSync(path.join(repo, "s.txt"), "s\n");
    git(repo, "add", "s.txt");
    git(repo, "commit", "-q", "-m", "side");
    const side = git(repo, "rev-parse", "HEAD");
    git(repo, "checkout", "-q", "main");
    expect(await caught(() => revertTree(repo, two.commit, side))).toMatchObject({ code: "not-in-history", data: { commit: side, tip: two.commit } });
    git(repo, "merge", "-q", "--no-edit", "side");
    const merge = git(repo, "rev-parse", "HEAD");
    expect(await caught(() => revertCommit(repo, { branch: "main", target: merge, message }))).toMatchObject({ code: "merge-commit", data: { commit: merge, parents: 2 } });
    const reverted = await revertCommit(repo, { branch: "main", target: side, message });
    expect(await caught(() => revertCommit(repo, { branch: "main", target: side, message }))).toMatchObject({ code: "no-change", data: { commit: side, branch: "main" } });
    writeFileSync(path.join(repo, "a.txt"), "mine\n");
    expect(await caught(() => revertCommit(repo, { branch: "main", target: two.commit, message }))).toMatchObject({ code: "dirty-worktree", data: { paths: ["a.txt"] } });
    expect(await caught(() => resetBranch(repo, { branch: "main", target: "gen-0" }))).toMatchObject({ code: "dirty-worktree", data: { paths: ["a.txt"], branch: "main" } });
    expect(git(repo, "rev-parse", "HEAD")).toBe(reverted.commit);
  });

  it("firstParentRange: not-in-history off the first-parent chain, usage for equal ends", async () => {
    expect(await caught(() => firstParentRange(dir, "gen-2", "gen-1"))).toMatchObject({ code: "not-in-history", data: { good: "gen-2", bad: "gen-1", commit: c[2], tip: c[1] } });
    expect(await caught(() => firstParentRange(dir, "gen-1", "gen-1"))).toMatchObject({ code: "usage", data: { commit: c[1] } });
  });

  it("tag names: bad-ref-name for invalid, full-ref and branch names; tag-exists for a taken one", async () => {
    expect(await caught(() => checkNewTagName(dir, "-x"))).toMatchObject({ code: "bad-ref-name", data: { name: "-x" } });
    expect(await caught(() => checkNewTagName(dir, "refs/heads/main"))).toMatchObject({ code: "bad-ref-name", data: { name: "refs/heads/main" } });
    expect(await caught(() => checkNewTagName(dir, "main"))).toMatchObject({ code: "bad-ref-name", data: { name: "main" } });
    expect(await caught(() => checkNewTagName(dir, "gen-2"))).toMatchObject({ code: "tag-exists", data: { tag: "gen-2", commit: c[2] } });
    await checkNewTagName(dir, "known-good");
  });

  it("workspace: initRepository refuses a directory that is not empty", async () => {
    expect(await caught(() => initRepository(dir, new Map([["a.txt", "1\n"]]), { message: "m\n", tagName: "gen-0", tagMessage: "m" }))).toMatchObject({ code: "workspace", data: { dir } });
  });
});

describe("history operations keep the ledger's codes", () => {
  let ws: string;

  beforeAll(async () => {
    ws = path.join(tmp.dir, "ws");
    await initWorkspace(ws);
  });

  it("openWorkspace and measureRef: ref-not-found propagates; a commit without config is a load failure, not an error", async () => {
    expect(await caught(() => openWorkspace(ws, "nope"))).toMatchObject({ code: "ref-not-found", data: { ref: "nope" } });
    expect(await caught(() => measureRef(ws, "nope"))).toMatchObject({ code: "ref-not-found", data: { ref: "nope" } });
    expect(await caught(() => measureRef(ws, "HEAD", { suiteRef: "nope" }))).toMatchObject({ code: "ref-not-found" });
    git(ws, "rm", "-q", "evolve.config.yaml");
    git(ws, "commit", "-q", "-m", "no config");
    expect(await caught(() => openWorkspace(ws))).toMatchObject({ code: "workspace", data: { ref: "HEAD", file: "evolve.config.yaml" } });
    const m = await measureRef(ws, "HEAD");
    expect(m).toMatchObject({ ok: false, stage: "load" });
    git(ws, "reset", "-q", "--hard", "gen-0");
  });

  it("rollback: dirty-worktree, ref-not-found, not-in-history and detached-head, before anything is written", async () => {
    const head = git(ws, "rev-parse", "HEAD");
    writeFileSync(path.join(ws, "agent", "params.json"), "{}\n");
    expect(await caught(() => rollback(ws, "gen-0"))).toMatchObject({ code: "dirty-worktree", data: { paths: ["agent/params.json"] } });
    git(ws, "checkout", "--", "agent/params.json");
    expect(await caught(() => rollback(ws, "nope"))).toMatchObject({ code: "ref-not-found", data: { ref: "nope" } });
    git(ws, "checkout", "-q", "-b", "side");
    git(ws, "commit", "-q", "--allow-empty", "-m", "side");
    git(ws, "checkout", "-q", "main");
    const r = await caught(() => rollback(ws, "side"));
    expect(r).toMatchObject({ code: "not-in-history", data: { tip: head } });
    expect(r.message).toMatch(/^cannot roll back side: .* is not in the history of .*; nothing was changed$/);
    git(ws, "checkout", "-q", "--detach");
    expect(await caught(() => rollback(ws, "gen-0"))).toMatchObject({ code: "detached-head" });
    git(ws, "checkout", "-q", "main");
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
  });

  it("bisect and tag: not-in-history, not-found for an unknown case, usage for bad repeats", async () => {
    git(ws, "commit", "-q", "--allow-empty", "-m", "later");
    const predicate = parsePredicate({ caseId: "nope" });
    expect(await caught(() => bisectHistory(ws, { good: "HEAD", bad: "gen-0", predicate }))).toMatchObject({ code: "not-in-history" });
    expect(await caught(() => bisectHistory(ws, { good: "gen-0", bad: "HEAD", predicate }))).toMatchObject({ code: "not-found", data: { what: "case", id: "nope" } });
    expect(await caught(() => tagKnownGood(ws, "ok", { repeats: 0 }))).toMatchObject({ code: "usage", data: { flag: "--repeats" } });
    expect(await caught(() => tagKnownGood(ws, "ok", { repeats: 1, ref: "nope" }))).toMatchObject({ code: "ref-not-found" });
  });
});

describe("flag and predicate refusals", () => {
  it("usage for a malformed or missing predicate, not-found for a case the suite lacks", async () => {
    expect(await caught(async () => parsePredicate({ metric: "speed<1" }))).toMatchObject({ code: "usage", data: { flag: "--metric", value: "speed<1" } });
    expect(await caught(async () => parsePredicate({ caseId: "a", metric: "score<1" }))).toMatchObject({ code: "usage" });
    expect(await caught(async () => parsePredicate({}))).toMatchObject({ code: "usage", data: { flag: "--bisect" } });
    const m = { score: 1, holdout: null, passed: 1, failed: 0, total: 1, evalMs: 1, mustPassFailed: [], results: [{ id: "a", pass: true, score: 1, reason: "", assertions: [], ms: 1 }] };
    expect(await caught(async () => evaluatePredicate(parsePredicate({ caseId: "zz" }), m as never))).toMatchObject({ code: "not-found", data: { what: "case", id: "zz" } });
  });
});

describe("kinds and exit codes", () => {
  it("every code has a kind and a description; refusals are input, the rest failed jobs", () => {
    for (const [code, { kind, when }] of Object.entries(ERROR_CODES)) {
      expect(["refused", "failed"], code).toContain(kind);
      expect(when.length, code).toBeGreaterThan(10);
    }
    expect(kindOf(new EvolveError("ref-not-found", "x"))).toBe("refused");
    expect(kindOf(new EvolveError("branch-moved", "x"))).toBe("failed");
    expect(kindOf(new Error("a bug"))).toBe("failed");
  });

  it("the command line: one line, no stack, exit 2 for a refusal", () => {
    const ws = path.join(tmp.dir, "ws");
    for (const args of [["eval", "--suite-ref", "nope"], ["rollback", "nope"], ["tag", "refs/heads/main"]]) {
      const r = evolve([...args, "--workspace", ws], tmp.dir);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
