/**
 * The workspace lock: one writer at a time, a clear refusal naming the holder, waiting with a bound,
 * and no way for a killed process to leave it stuck. In process for the rules, then the built CLI
 * for what a user sees: two `evolve run` at once, a SIGKILLed run, `--wait`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EvolveError, type ErrorCode } from "../kernel/errors.js";
import { LOCK_PATH, readWorkspaceLock, withWorkspaceLock, type LockHolder } from "../ledger/index.js";
import { processStartTime } from "../ledger/workspace-lock.js";
import { initWorkspace } from "../workspace/init.js";
import { CLI, evolve, evolveAsync, GIT_ENV, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-lock-");
afterAll(() => tmp.cleanup());

const held = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function codeOf(run: () => Promise<unknown>): Promise<{ code: ErrorCode; data: Record<string, unknown>; message: string }> {
  try {
    await run();
  } catch (e) {
    if (e instanceof EvolveError) return { code: e.code, data: e.data as Record<string, unknown>, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}

/** A pid that certainly belongs to no running process: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

function writeLock(ws: string, holder: Partial<LockHolder>): string {
  const file = path.join(ws, ".git", LOCK_PATH);
  const full: LockHolder = { pid: process.pid, startTime: processStartTime(process.pid), bootId: null, host: os.hostname(), command: "evolve run", since: new Date().toISOString(), ...holder };
  writeFileSync(file, `${JSON.stringify(full)}\n`);
  return file;
}

describe("withWorkspaceLock", () => {
  let ws: string;
  let lockFile: string;

  beforeAll(async () => {
    ws = path.join(tmp.dir, "unit");
    await initWorkspace(ws);
    lockFile = path.join(ws, ".git", LOCK_PATH);
  });

  it("records the holder while it runs and removes the lock after, also when the work throws", async () => {
    await withWorkspaceLock(ws, { command: "evolve test" }, async () => {
      const lock = await readWorkspaceLock(ws);
      expect(lock).toMatchObject({ alive: true, holder: { pid: process.pid, command: "evolve test", host: os.hostname() } });
      if (process.platform === "linux") expect(lock?.holder.startTime).toMatch(/^\d+$/);
    });
    expect(existsSync(lockFile)).toBe(false);
    await expect(withWorkspaceLock(ws, { command: "evolve test" }, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(existsSync(lockFile)).toBe(false);
  });

  it("refuses a second writer with lock-held naming the holder; the same flow may nest", async () => {
    let release!: () => void;
    const holding = withWorkspaceLock(ws, { command: "evolve run" }, async () => {
      // A nested call in the same flow (run -> tune) goes on.
      expect(await withWorkspaceLock(ws, { command: "evolve tune" }, async () => "nested")).toBe("nested");
      await new Promise<void>((resolve) => (release = resolve));
    });
    await held(50);
    // Another flow, even in this process, is a second writer.
    const other = await codeOf(() => withWorkspaceLock(ws, { command: "evolve other" }, async () => "ran"));
    expect(other.code).toBe("lock-held");
    expect(other.data).toMatchObject({ pid: process.pid, command: "evolve run", lockFile, waitedMs: 0 });
    expect(other.message).toMatch(/^the workspace is locked: evolve run \(pid \d+, since \d{4}-.*\) is writing to it/);
    release();
    await holding;
    expect(existsSync(lockFile)).toBe(false);
  });

  it("takes over a lock whose process is gone, whose pid was reused, or that is not a lock evolve wrote", async () => {
    for (const stale of [{ pid: deadPid() }, { startTime: "1" }, { bootId: "another-boot" }]) {
      writeLock(ws, stale);
      expect((await readWorkspaceLock(ws))?.alive, JSON.stringify(stale)).toBe(false);
      expect(await withWorkspaceLock(ws, { command: "evolve test" }, async () => (await readWorkspaceLock(ws))?.holder.command)).toBe("evolve test");
    }
    writeFileSync(lockFile, "garbage");
    await withWorkspaceLock(ws, { command: "evolve test" }, async () => undefined);
    expect(existsSync(lockFile)).toBe(false);
  });

  it("of many flows that find the same stale lock, exactly one gets it", async () => {
    writeLock(ws, { pid: deadPid() });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => held(i % 3).then(() => withWorkspaceLock(ws, { command: `evolve flow ${i}` }, () => held(150)))),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes) if (o.status === "rejected") expect((o.reason as EvolveError).code).toBe("lock-held");
    expect(existsSync(lockFile)).toBe(false);
  });

  it("waits for a live holder with waitMs, and gives up at the bound with lock-held", async () => {
    const waits: LockHolder[] = [];
    const holder = withWorkspaceLock(ws, { command: "evolve run" }, () => held(400));
    await held(50);
    const started = Date.now();
    const got = await withWorkspaceLock(ws, { command: "evolve other", waitMs: 10_000, pollMs: 50, onWait: (h) => waits.push(h) }, async () => "ran");
    expect(got).toBe("ran");
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(waits.map((h) => h.command)).toEqual(["evolve run"]);
    await holder;

    const long = withWorkspaceLock(ws, { command: "evolve run" }, () => held(1500));
    await held(50);
    const gaveUp = await codeOf(() => withWorkspaceLock(ws, { command: "evolve other", waitMs: 300, pollMs: 50 }, async () => "ran"));
    expect(gaveUp).toMatchObject({ code: "lock-held", data: { command: "evolve run" } });
    expect(gaveUp.data["waitedMs"]).toBeGreaterThanOrEqual(300);
    expect(gaveUp.message).toMatch(/^gave up after 0 s waiting for the workspace lock: evolve run/);
    await long;
  });
});

describe("the command line under the lock", () => {
  let ws: string;

  beforeAll(() => {
    ws = path.join(tmp.dir, "cli");
    expect(evolve(["init", ws, "--example", "textkit"], tmp.dir).status).toBe(0);
  });

  it("two evolve run at once: exactly one runs, the other exits 2 with one line naming the holder", async () => {
    const args = ["run", "-g", "1", "-c", "2", "-b", "2", "--no-progress", "--workspace", ws];
    const [a, b] = await Promise.all([evolveAsync(args, tmp.dir), evolveAsync(args, tmp.dir)]);
    const results = [a, b].sort((x, y) => x.status - y.status);
    expect(results.map((r) => r.status)).toEqual([0, 2]);
    const loser = results[1]!;
    expect(loser.stderr.trim().split("\n")).toHaveLength(1);
    expect(loser.stderr).toMatch(/^error: the workspace is locked: evolve run \(pid \d+, since .*\) is writing to it \(.*lock\); wait for it to finish, or pass --wait to queue behind it\n$/);
    expect(loser.stdout).toBe("");
    expect(existsSync(path.join(ws, ".git", LOCK_PATH))).toBe(false);
  });

  it("a lock left by a SIGKILLed evolve run does not block the next command", async () => {
    const lockFile = path.join(ws, ".git", LOCK_PATH);
    const child = spawn(process.execPath, [CLI, "run", "-g", "1", "-c", "2", "--no-progress", "--workspace", ws], { env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" }, stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    for (let i = 0; i < 600 && !existsSync(lockFile); i++) await held(50);
    expect(existsSync(lockFile)).toBe(true);
    expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ pid: child.pid, command: "evolve run" });
    child.kill("SIGKILL");
    await exited;
    expect(existsSync(lockFile)).toBe(true); // left behind, as a killed process leaves it
    expect((await readWorkspaceLock(ws))?.alive).toBe(false);
    const next = await evolveAsync(["attempts", "--prune", "--workspace", ws], tmp.dir);
    expect(next.status, next.stderr).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
  });

  it("--wait waits for the holder and then runs; at its bound it gives up with exit 2", async () => {
    let release!: () => void;
    const releasing = new Promise<void>((resolve) => (release = resolve));
    const holding = withWorkspaceLock(ws, { command: "evolve run" }, () => releasing);
    await held(50);
    const bounded = await evolveAsync(["attempts", "--prune", "--wait", "1", "--workspace", ws], tmp.dir);
    expect(bounded.status).toBe(2);
    expect(bounded.stderr).toMatch(/waiting for the workspace lock: evolve run \(pid \d+/);
    expect(bounded.stderr).toMatch(/^error: gave up after 1 s waiting for the workspace lock: evolve run \(pid \d+, since .*\) still holds /m);
    expect(bounded.stderr).not.toMatch(/\n\s+at /);

    const waiting = startCli(["attempts", "--prune", "--wait", "120", "--json", "--workspace", ws]);
    await waiting.stderrMatches(/waiting for the workspace lock/);
    release();
    await holding;
    const r = await waiting.done;
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ref: "refs/notes/evolve-attempts" });
  });

  it("refuses a bad --wait value as usage, exit 2", () => {
    const r = evolve(["reset", "--to", "gen-0", "--wait", "soon", "--workspace", ws], tmp.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: --wait "soon": expected a number of seconds > 0\n$/);
  });
});

/** The CLI as a child whose stderr can be watched while it runs. */
function startCli(args: readonly string[]): { stderrMatches: (re: RegExp) => Promise<void>; done: Promise<{ status: number; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp.dir, env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  const watchers: Array<() => void> = [];
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    for (const w of watchers) w();
  });
  const done = new Promise<{ status: number; stdout: string; stderr: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
  const stderrMatches = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(stderr)) resolve();
      };
      watchers.push(check);
      check();
      void done.then(() => reject(new Error(`exited before stderr matched ${re}: ${stderr}`)));
    });
  return { stderrMatches, done };
}
