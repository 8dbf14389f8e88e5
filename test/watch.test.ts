/**
 * `evolve watch` in process, on real workspaces (git repositories in temp dirs, read back with
 * native git): a committed golden-test change that leaves cases failing is repaired by a cycle that
 * holds the workspace lock; bad feedback starts a cycle; a config that does not parse is reported
 * and the last good one kept; a generation whose recorded interactions fail more often than its
 * parent's is reverted; a deleted workspace ends the watcher with a clear line.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explicitFeedback, openInteractionStore, type InteractionEnd, type InteractionStore } from "../interactions/index.js";
import { readAttempts, readWorkspaceLock, withWorkspaceLock } from "../ledger/index.js";
import { runCycle, type CycleResult } from "../watch/cycle.js";
import { startWatcher, type Watcher } from "../watch/watcher.js";
import { CLI, GIT_ENV, evolve, generation, git, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir("evolve-watch-");
});
afterAll(() => tmp.cleanup());

/** A workspace from an example, with `config` lines replacing sections of its evolve.config.yaml, committed by hand. */
function workspace(name: string, example: string, edit: (config: string) => string): string {
  const ws = path.join(tmp.dir, name);
  expect(evolve(["init", ws, "--example", example], tmp.dir).status).toBe(0);
  const file = path.join(ws, "evolve.config.yaml");
  writeFileSync(file, edit(readFileSync(file, "utf8")));
  git(ws, "commit", "-qam", "watch settings for the test");
  return ws;
}

const settings = (extra: string) => (text: string) => `${text}\nwatch:\n  debounceMs: 100\n  badFeedback: 2\n${extra}`;
const until = async (what: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
};

const answered: InteractionEnd = { status: "answered", answer: "a", errorKind: null, error: null, toolCalls: [], steps: 1, refusals: 0, firstTokenMs: 5, totalMs: 10, modelMs: 5, tokensIn: 1, tokensOut: 1 };
const failed: InteractionEnd = { ...answered, status: "error", answer: null, errorKind: "model", error: "the model failed" };
function plant(store: InteractionStore, commit: string, gen: number, n: number, end: InteractionEnd): number[] {
  return Array.from({ length: n }, (_, i) => {
    const id = store.begin({ source: "serve", session: null, request: `request ${gen}-${i}`, model: { provider: "test", name: "m", identity: null, params: {} }, commit, generation: gen });
    store.complete(id, end);
    return id;
  });
}

describe("a committed golden-test change under watch", { timeout: 180_000 }, () => {
  it("is measured, and its failing cases repaired by a cycle that holds the lock", async () => {
    const ws = workspace("tk", "textkit", (t) => t.replace(/^evolution:[\s\S]*?\n\n/m, "evolution:\n  generations: 1\n  candidatesPerGeneration: 16\n  budget: 16\n\n") + "\nwatch:\n  debounceMs: 100\n");
    const logs: string[] = [];
    const cycles: CycleResult[] = [];
    let lockedMeanwhile: unknown = null;
    const w: Watcher = await startWatcher({
      root: ws,
      command: "evolve watch",
      log: (l) => void logs.push(l),
      initialRun: false,
      onCycle: (r) => void cycles.push(r),
    });
    try {
      // A person tightens a golden case and commits it.
      const suite = path.join(ws, "golden-tests", "text.yaml");
      writeFileSync(suite, `${readFileSync(suite, "utf8")}\n# reviewed\n`);
      git(ws, "commit", "-qam", "review the text cases");
      await until(() => logs.some((l) => l.includes("passes 14/28")));
      await until(async () => (await readWorkspaceLock(ws)) !== null);
      lockedMeanwhile = await withWorkspaceLock(ws, { command: "evolve run" }, async () => "ran").catch((e: unknown) => e);
      await until(() => cycles.length === 1, 150_000);
    } finally {
      await w.stop();
    }
    expect(lockedMeanwhile).toMatchObject({ code: "lock-held", data: { command: "evolve watch" } });
    expect(cycles[0]!.generations).toHaveLength(1);
    expect(cycles[0]!.finalScore).toBeGreaterThan(cycles[0]!.initialScore);
    expect(git(ws, "log", "-1", "--format=%(trailers:key=Evolve-Generation,valueonly)").trim()).toBe("1");
    expect(git(ws, "tag", "--points-at", "HEAD").split("\n")).toContain("gen-1");
    expect(await readWorkspaceLock(ws)).toBeNull();
    expect(git(ws, "status", "--porcelain")).toBe("");
  });
});

describe("stopping a cycle", { timeout: 180_000 }, () => {
  it("ends between candidates, with what was committed kept, the candidates in flight recorded and no lock left", async () => {
    const ws = workspace("stop", "textkit", (t) => t.replace(/^evolution:[\s\S]*?\n\n/m, "evolution:\n  generations: 5\n  candidatesPerGeneration: 8\n  budget: 40\n\n"));
    const stop = { count: 0 };
    const rounds: number[] = [];
    let candidates = 0;
    const before = Number(git(ws, "rev-list", "--count", "HEAD"));
    const head = git(ws, "rev-parse", "HEAD");
    const r = await runCycle({
      root: ws,
      stop,
      command: "evolve watch",
      onEvent: (e) => {
        if (e.type === "round") rounds.push(e.round);
        if (e.type === "candidate" && ++candidates === 1) stop.count = 1; // SIGINT once the first candidate is judged
      },
    });
    expect(rounds).toEqual([1]);
    // The round's 8 were not all started: only those already in flight (2 workers and a build) ended.
    expect(candidates).toBeGreaterThanOrEqual(1);
    expect(candidates).toBeLessThan(8);
    expect(r.generations).toEqual([]);
    expect((await readAttempts(ws, head)).length).toBe(candidates);
    expect(r).toMatchObject({ stopped: true, stopReason: "stopped on request" });
    // Nothing was committed, and the work tree is as the run found it.
    expect(Number(git(ws, "rev-list", "--count", "HEAD"))).toBe(before + r.generations.length);
    expect(git(ws, "status", "--porcelain")).toBe("");
    expect(await readWorkspaceLock(ws)).toBeNull();
  });
});

describe("feedback, config changes, live regressions and a deleted workspace", { timeout: 120_000 }, () => {
  let ws: string;
  let w: Watcher;
  const logs: string[] = [];
  const cycles: CycleResult[] = [];
  let store: InteractionStore;
  beforeAll(async () => {
    ws = workspace("st", "storyteller", settings("monitoring:\n  minSamples: 5\n"));
    store = openInteractionStore(path.join(ws, ".git", "evolve", "interactions.sqlite"), { create: true })!;
    w = await startWatcher({ root: ws, command: "evolve watch", log: (l) => void logs.push(l), initialRun: false, onCycle: (r) => void cycles.push(r) });
  });
  afterAll(async () => {
    store?.close();
    await w?.stop();
  });

  it("starts a cycle once watch.badFeedback interactions got bad feedback", async () => {
    const ids = plant(store, git(ws, "rev-parse", "HEAD"), 0, 2, answered);
    store.addFeedback(ids[0]!, explicitFeedback({ bad: true }));
    await new Promise((r) => setTimeout(r, 1500));
    expect(cycles).toHaveLength(0); // one bad answer is below the trigger
    store.addFeedback(ids[1]!, explicitFeedback({ rating: 2 }));
    await until(() => cycles.length === 1);
    expect(logs.find((l) => l.startsWith("feedback (2 new interaction(s) with bad feedback)"))).toBeDefined();
  });

  it("reports a config change that does not parse and keeps the last good config", async () => {
    const file = path.join(ws, "evolve.config.yaml");
    const good = readFileSync(file, "utf8");
    writeFileSync(file, good.replace("badFeedback: 2", "badFeedback: lots"));
    await until(() => logs.some((l) => l.includes("keeping the last good config")));
    expect(logs.find((l) => l.includes("keeping the last good config"))).toMatch(/^evolve\.config\.yaml:\d+:\d+: watch\.badFeedback: /);
    writeFileSync(file, good);
    await until(() => logs.some((l) => l.startsWith("evolve.config.yaml changed")));
  });

  it("reverts a generation whose live error rate is significantly worse than its parent's", async () => {
    const parent = git(ws, "rev-parse", "HEAD");
    plant(store, parent, 0, 10, answered);
    const gen1 = await generation(ws, 1, "longer stories", { "agent/params.json": [['"maxTokens": 24', '"maxTokens": 48']] });
    plant(store, gen1, 1, 10, failed);
    await w.checkLive();
    const line = logs.find((l) => l.startsWith("live regression in generation 1"));
    expect(line).toMatch(/error_rate \d+\/\d+ -> 10\/10 \(two-proportion-z, p=/);
    expect(git(ws, "log", "-1", "--format=%s")).toMatch(/^evolve: gen 2: revert/);
    expect(git(ws, "log", "-1", "--format=%(trailers:key=Evolve-Reverts,valueonly)").trim()).toBe(gen1);
    expect(git(ws, "log", "-1", "--format=%b")).toMatch(/gen 1 served users significantly worse than gen 0 [^\n]*confirmed in the later half[^\n]*\n- error_rate 0\/\d+ -> 10\/10 \(two-proportion-z, p=/);
    // The evidence is in a trailer too, as the revert `evolve improve` makes (one check for both).
    expect(JSON.parse(git(ws, "log", "-1", "--format=%(trailers:key=Evolve-Live-Regression,valueonly)").trim())).toMatchObject({ parent: 0, child: 1, findings: expect.arrayContaining([expect.objectContaining({ metric: "error_rate" })]) });
    expect(JSON.parse(git(ws, "show", "HEAD:agent/params.json")).maxTokens).toBe(24);
  });

  it("ends with a clear line when the workspace is deleted under it", async () => {
    rmSync(path.join(ws, ".git"), { recursive: true, force: true });
    expect(await w.done).toBe("gone");
    expect(logs.some((l) => /is gone \(its \.git was removed\): nothing left to watch/.test(l))).toBe(true);
  });
});

describe("evolve watch as a command", { timeout: 120_000 }, () => {
  it("stops on SIGINT with exit 0 and no lock left; a committed config that does not parse is refused at start", async () => {
    const ws = workspace("cli", "storyteller", settings(""));
    const child = spawn(process.execPath, [CLI, "watch", "--workspace", ws], { env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    await until(() => /start \(first look\): tip [0-9a-f]{10} passes/.test(stderr));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGINT: stopping/);
    expect(await readWorkspaceLock(ws)).toBeNull();
    writeFileSync(path.join(ws, "evolve.config.yaml"), "watch:\n  debounceMs: soon\n");
    git(ws, "commit", "-qam", "a broken config");
    // Refused as input (exit 2 at the command line), before anything is watched.
    await expect(startWatcher({ root: ws, command: "evolve watch", log: () => {} })).rejects.toMatchObject({ code: "input-file", message: expect.stringMatching(/^evolve\.config\.yaml:2:\d+: watch\.debounceMs: /) });
  });
});
