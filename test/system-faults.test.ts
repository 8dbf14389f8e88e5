/**
 * Real machine faults (issue 10): a full disk (a small tmpfs, filled) and a denied permission (the
 * CLI run as user nobody on a workspace it may not write). Each must give one `error:` line and no
 * stack, exit 1 (a job failure, README's exit-code table), leave the repository sound (native
 * `git fsck`, branch, tags, HEAD and index unchanged, no lock or temporary file left behind), and
 * the workspace must work again once the fault is gone. Needs root (mount, setpriv); skipped
 * elsewhere, naming why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { CLI, evolve, GIT_ENV, gitStatus, tempDir, type CliResult } from "./helpers.js";

const NOBODY = 65534;
const tmp = tempDir("evolve-faults-");
const isRoot = process.getuid?.() === 0;
const runs = (cmd: string, ...args: string[]): boolean => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
// Tried for real: root in a container without CAP_SYS_ADMIN has mount but may not use it.
const canMount = isRoot && runs("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", tmp.dir) && runs("umount", tmp.dir);
const canSetpriv = isRoot && runs("setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "true");
const BASE = path.join(tmp.dir, "base");
const mounts: string[] = [];

beforeAll(() => {
  if (!canMount && !canSetpriv) return;
  chmodSync(tmp.dir, 0o755); // nobody must reach the workspaces under it
  const r = evolve(["init", BASE, "--example", "textkit"], tmp.dir);
  expect(r.status, r.stderr).toBe(0);
}, 60_000);
afterAll(() => {
  for (const m of mounts) spawnSync("umount", ["-l", m]);
  tmp.cleanup();
});

/** Native git on a workspace another user may own. */
function gitIn(ws: string, ...args: string[]): CliResult {
  const r = spawnSync("git", ["-c", "safe.directory=*", ...args], { cwd: ws, encoding: "utf8", env: { ...process.env, ...GIT_ENV } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every ref, HEAD and the index. */
function state(ws: string): string {
  const refs = gitIn(ws, "for-each-ref", "--format=%(refname) %(objectname)").stdout.split("\n");
  const index = createHash("sha1").update(readFileSync(path.join(ws, ".git", "index"))).digest("hex");
  return [...refs, readFileSync(path.join(ws, ".git", "HEAD"), "utf8"), index].join("\n");
}

/** Files a writer left half done: lock files, temporary files, temporary objects. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /(\.tmp|\.lock|tmp_obj_\w+|\/lock)$/.test(f));
}

/** One `error:` line, no stack, exit 1; the repository sound and left as it was. */
function failedCleanly(r: CliResult, ws: string, before: string, fault: RegExp): void {
  const lines = r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("warning:") && !/^\s{2}\S/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error: .*${fault.source}`));
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.status, r.stderr).toBe(1);
  expect(state(ws)).toBe(before);
  expect(leftovers(path.join(ws, ".git"))).toEqual([]);
  const fsck = gitIn(ws, "fsck", "--strict", "--no-progress");
  expect(fsck.status, fsck.stderr).toBe(0);
  expect(`${fsck.stdout}${fsck.stderr}`).not.toMatch(/^(error|warning|missing|broken|bad)/m);
}

/** A tmpfs of `kb` KB holding a copy of the base workspace. */
function mountedCopy(name: string, kb: number): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir);
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kb}k`, "tmpfs", dir], { encoding: "utf8" });
  if (m.status !== 0) throw new Error(`mount failed: ${m.stderr}`);
  mounts.push(dir);
  cpSync(BASE, path.join(dir, "ws"), { recursive: true });
  return path.join(dir, "ws");
}

/** Fill the file system of `dir` until `leaveBytes` are free (0: until the write itself fails with ENOSPC). */
function fill(dir: string, leaveBytes: number): string {
  const file = path.join(dir, "..", "filler");
  const fd = openSync(file, "w");
  try {
    for (;;) {
      const s = statfsSync(dir);
      const room = s.bavail * s.bsize - leaveBytes;
      if (room <= 0 && leaveBytes > 0) break;
      writeSync(fd, Buffer.alloc(Math.max(4096, Math.min(room, 1 << 20))));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return file;
}

const EACCES = /evolve\/lock: cannot create the lock: permission denied \(EACCES\)/;

describe.skipIf(!canMount)("a full disk (ENOSPC, needs root and mount)", () => {
  it("refuses run, tag and cases record with one line and exit 1, changes nothing, and works once space is freed", () => {
    const ws = mountedCopy("full", 1024);
    const before = state(ws);
    const filler = fill(ws, 0);
    const full = /evolve\/lock: cannot create the lock: no space left on the device \(ENOSPC\)/;
    failedCleanly(evolve(["run", "-b", "1", "--no-progress"], ws), ws, before, full);
    failedCleanly(evolve(["tag", "full"], ws), ws, before, full);
    failedCleanly(evolve(["cases", "record", "clamp", "5", "0", "10", "-y"], ws), ws, before, full);
    // A measurement still works: the cache is an optimisation, and a warning says it is not written.
    const ev = evolve(["eval"], ws);
    expect(ev.status, ev.stderr).toBe(0);
    expect(ev.stderr).toMatch(/^warning: .*eval-cache\.jsonl: cannot be written \(ENOSPC/m);
    expect(state(ws)).toBe(before);
    // tmpfs counts 4 KB pages: with one page free the tag object fails, with two its ref does.
    rmSync(filler);
    fill(ws, 4096);
    failedCleanly(evolve(["tag", "one-page"], ws), ws, before, /objects: cannot write tag \w+: no space left on the device \(ENOSPC\)/);
    rmSync(filler);
    fill(ws, 8192);
    failedCleanly(evolve(["tag", "two-pages"], ws), ws, before, /refs\/tags\/two-pages: cannot update the ref: no space left on the device \(ENOSPC\)/);
    rmSync(filler);
    const tag = evolve(["tag", "freed"], ws);
    expect(tag.status, tag.stderr).toBe(0);
  }, 30_000);

  it("fails a run that runs out of space mid-run (writing the generation) cleanly, and the next run commits", () => {
    const ws = mountedCopy("mid", 1024);
    const before = state(ws);
    // 44 KB (4 KB pages): enough for the lock, the cache, the generation's objects and its tag ref,
    // not for the branch ref: the tag just written must be taken back.
    const filler = fill(ws, 44 * 1024);
    failedCleanly(evolve(["run", "-b", "1", "--no-progress"], ws), ws, before, /refs\/heads\/main: cannot update the ref: no space left on the device \(ENOSPC\)/);
    rmSync(filler);
    const again = evolve(["run", "-b", "1", "--no-progress"], ws);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/locked|warning/);
    expect(gitIn(ws, "describe", "--tags", "--exact-match", "HEAD").stdout.trim()).toBe("gen-1");
    expect(gitStatus(ws, "fsck", "--strict", "--no-progress").status).toBe(0);
  }, 30_000);
});

/** The CLI as user nobody, with a home it cannot write. */
function asNobody(args: readonly string[], cwd: string): CliResult {
  const home = path.join(tmp.dir, "home");
  mkdirSync(home, { recursive: true, mode: 0o555 });
  const r = spawnSync("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...GIT_ENV, HOME: home, NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function chownAll(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" })) chownSync(path.join(dir, f), uid, uid);
}

describe.skipIf(!canSetpriv)("a denied permission (EACCES, needs root and setpriv)", () => {
  it("refuses to write a workspace the user may only read, changing nothing", () => {
    const ws = path.join(tmp.dir, "readonly");
    cpSync(BASE, ws, { recursive: true });
    const before = state(ws);
    failedCleanly(asNobody(["run", "-b", "1", "--no-progress"], ws), ws, before, EACCES);
    failedCleanly(asNobody(["tag", "mine"], ws), ws, before, EACCES);
  }, 30_000);

  it("fails at commit time when .git/objects is not writable, releases the lock, and commits once it is", () => {
    const ws = path.join(tmp.dir, "objects");
    cpSync(BASE, ws, { recursive: true });
    chownAll(ws, NOBODY);
    chownAll(path.join(ws, ".git", "objects"), 0);
    const before = state(ws);
    failedCleanly(asNobody(["run", "-b", "1", "--no-progress"], ws), ws, before, /objects: cannot write blob \w+: permission denied \(EACCES\)/);
    chownAll(path.join(ws, ".git", "objects"), NOBODY);
    const tag = asNobody(["tag", "later"], ws);
    expect(tag.status, tag.stderr).toBe(0);
  }, 30_000);
});
