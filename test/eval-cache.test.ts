/**
 * The evaluation cache cannot stop a run or grow without bound: a huge file, huge lines, corrupt
 * lines and an unreadable file are each one warning, entries are bounded, the file is compacted to
 * the newest entries, and `evolve eval --no-cache` writes nothing. Real git repositories, the real
 * CLI.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { initRepository, formatMessage, openEvalCache } from "../ledger/index.js";
import { MAX_CACHE_BYTES, MAX_ENTRY_BYTES } from "../ledger/eval-cache.js";
import { evolve, tempDir } from "./helpers.js";

const scratch = tempDir("evolve-cache-");
afterAll(() => scratch.cleanup());
let repos = 0;

async function newRepo(): Promise<string> {
  const dir = join(scratch.dir, `ws${repos++}`);
  await initRepository(dir, new Map([["a.txt", "a\n"]]), { message: formatMessage("init", "", []), tagName: "gen-0", tagMessage: "g0" });
  return dir;
}

const line = (tree: string, value: unknown) => `${JSON.stringify({ tree, suite: "s", model: "m", value })}\n`;

async function open(dir: string, limits?: { entryBytes: number; cacheBytes: number }) {
  const warned: string[] = [];
  const cache = await openEvalCache(dir, { warn: (m) => warned.push(m), ...(limits ? { limits } : {}) });
  return { cache, warned };
}

function cacheFile(dir: string): string {
  const file = join(dir, ".git", "evolve", "eval-cache.jsonl");
  mkdirSync(join(dir, ".git", "evolve"), { recursive: true });
  return file;
}

describe("evaluation cache", () => {
  it("a 600 MB cache file (too big to read as one string) opens, keeping its newest entries", async () => {
    const dir = await newRepo();
    const file = cacheFile(dir);
    // Sparse: 600 MB of size, a few kilobytes on disk; the entries are at the end, where the newest are.
    const fd = openSync(file, "w");
    const tail = Buffer.from(`\n${line("old", 1)}${line("new", 2)}`);
    writeSync(fd, tail, 0, tail.length, 600 * 2 ** 20);
    closeSync(fd);
    const { cache, warned } = await open(dir);
    expect([cache.get("old", "s", "m"), cache.get("new", "s", "m")]).toEqual([1, 2]);
    expect(warned).toEqual([]);
    cache.set("newer", "s", "m", 3);
    await cache.flush();
    // The first write after such an open compacts the file to the entries kept.
    expect(statSync(file).size).toBeLessThan(1000);
    const again = await open(dir);
    expect([again.cache.get("old", "s", "m"), again.cache.get("new", "s", "m"), again.cache.get("newer", "s", "m")]).toEqual([1, 2, 3]);
  });

  it("corrupt and oversize lines are one warning; the entries around them survive and the next write drops them", async () => {
    const dir = await newRepo();
    const file = cacheFile(dir);
    const huge = line("huge", "x".repeat(MAX_ENTRY_BYTES + 10));
    writeFileSync(file, `${line("a", 1)}{"tree": oops\n${huge}${line("b", 2)}not json at all\n${line("c", 3)}`);
    const { cache, warned } = await open(dir);
    expect(["a", "b", "c", "huge"].map((t) => cache.get(t, "s", "m"))).toEqual([1, 2, 3, undefined]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/eval-cache\.jsonl: 2 unreadable line\(s\) \(first: line 2: invalid JSON: .*\) and 1 line\(s\) over 1048576 bytes skipped; the next write rebuilds the cache without them$/);
    cache.set("d", "s", "m", 4);
    await cache.flush();
    expect(readFileSync(file, "utf8")).toBe([line("a", 1), line("b", 2), line("c", 3), line("d", 4)].join(""));
  });

  it("an entry over the per-entry limit is not cached (one warning), and a torn last line is never appended to", async () => {
    const dir = await newRepo();
    const file = cacheFile(dir);
    writeFileSync(file, `${line("a", 1)}{"tree":"torn","su`);
    const { cache, warned } = await open(dir);
    cache.set("big", "s", "m", { reasons: ["r".repeat(MAX_ENTRY_BYTES)] });
    cache.set("big2", "s", "m", { reasons: ["r".repeat(MAX_ENTRY_BYTES)] });
    cache.set("b", "s", "m", 2);
    expect(cache.get("big", "s", "m")).toBeUndefined();
    await cache.flush();
    expect(warned).toEqual([expect.stringMatching(new RegExp(`^an evaluation of \\d+ bytes is over the cache's ${MAX_ENTRY_BYTES}-byte limit per entry and was not cached$`))]);
    expect(readFileSync(file, "utf8")).toBe(line("a", 1) + line("b", 2));
  });

  it("keeps the newest entries within its byte bound and compacts the file when it passes twice that", async () => {
    // The defaults (MAX_ENTRY_BYTES, MAX_CACHE_BYTES) scaled down 256 times, to keep the test fast.
    const limits = { entryBytes: MAX_ENTRY_BYTES / 256, cacheBytes: MAX_CACHE_BYTES / 256 };
    const dir = await newRepo();
    const file = cacheFile(dir);
    const big = "v".repeat(limits.entryBytes - 200);
    const per = line("t00", big).length;
    const count = Math.ceil((2.5 * limits.cacheBytes) / per);
    const { cache } = await open(dir, limits);
    for (let i = 0; i < count; i++) {
      cache.set(`t${String(i).padStart(2, "0")}`, "s", "m", big);
      await cache.flush();
      expect(statSync(file).size).toBeLessThanOrEqual(2 * limits.cacheBytes + per);
    }
    const kept = Math.floor(limits.cacheBytes / per);
    const again = await open(dir, limits);
    const present = Array.from({ length: count }, (_, i) => again.cache.get(`t${String(i).padStart(2, "0")}`, "s", "m") !== undefined);
    // The newest `kept` are there, the oldest are gone.
    expect(present.slice(count - kept).every(Boolean)).toBe(true);
    expect(present.slice(0, count - kept - 1).some(Boolean)).toBe(false);
  });

  it("a cache that cannot be read or written is a warning, not a failure", async () => {
    const dir = await newRepo();
    const file = cacheFile(dir);
    mkdirSync(file);
    const { cache, warned } = await open(dir);
    cache.set("a", "s", "m", 1);
    expect(cache.get("a", "s", "m")).toBe(1);
    await cache.flush();
    expect(warned).toEqual([expect.stringMatching(/eval-cache\.jsonl: cannot be read \(EISDIR.*\); evaluations are not cached in this run$/)]);
    rmSync(file, { recursive: true });
  });
});

describe("a device in the cache file's place", () => {
  // /dev/zero and /dev/full read forever and report size 0: reading them unbounded hung evolve eval.
  for (const device of ["/dev/zero", "/dev/full"]) {
    it(`${device} is a warning and an uncached run, not a hang`, async () => {
      const dir = await newRepo();
      symlinkSync(device, cacheFile(dir));
      const { cache, warned } = await open(dir);
      cache.set("a", "s", "m", 1);
      expect(cache.get("a", "s", "m")).toBe(1);
      await cache.flush();
      expect(warned[0]).toMatch(/eval-cache\.jsonl: cannot be read \(.*is not a regular file\); evaluations are not cached in this run$/);
      expect(statSync(device).isCharacterDevice()).toBe(true);
    });
  }
});

describe("evolve eval and the cache", () => {
  it("a corrupt cache gives a warning and a normal result; --no-cache leaves the cache file as it was", () => {
    const ws = join(scratch.dir, "textkit");
    expect(evolve(["init", ws, "--example", "textkit"], scratch.dir).status).toBe(0);
    const file = cacheFile(ws);
    writeFileSync(file, "garbage\n");
    const first = evolve(["eval", "--json"], ws);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^warning: .*eval-cache\.jsonl: 1 unreadable line\(s\) \(first: line 1: invalid JSON/m);
    expect(JSON.parse(first.stdout).score).toBe(0.5625);
    const before = readFileSync(file, "utf8");
    expect(before).not.toContain("garbage");
    const again = evolve(["eval", "--json", "--no-cache"], ws);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
