/**
 * The interaction store on real SQLite files in temp dirs: round trips, caps, feedback, purge,
 * migrations, and the faults: a newer schema, a corrupt file, a locked database, a full store,
 * concurrent writer processes, and a writer killed mid-request.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isEvolveError, type EvolveError } from "../kernel/errors.js";
import { LIMITS, SCHEMA_VERSION, openInteractionStore, type InteractionEnd, type InteractionStart, type InteractionStore } from "../interactions/index.js";
import { ROOT, tempDir } from "./helpers.js";

const START: InteractionStart = {
  source: "ask",
  session: null,
  request: "Slugify Hello World",
  model: { provider: "ollama", name: "llama3", identity: null, params: { temperature: 0, maxSteps: 4 } },
  commit: "a".repeat(40),
  generation: 3,
};

const END: InteractionEnd = {
  status: "answered",
  answer: "hello-world",
  errorKind: null,
  error: null,
  toolCalls: [{ name: "slugify", args: '["Hello World"]', ok: true, result: '"hello-world"', failureKind: null, ms: 2 }],
  steps: 2,
  refusals: 0,
  firstTokenMs: 40,
  totalMs: 120,
  modelMs: 100,
  tokensIn: 300,
  tokensOut: 20,
  modelIdentity: "ollama:llama3:latest@abc",
};

function thrown(f: () => unknown): EvolveError {
  try {
    f();
  } catch (e) {
    if (isEvolveError(e)) return e;
    throw e;
  }
  throw new Error("expected an EvolveError");
}

const sha = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: InteractionStore;
beforeEach(() => {
  tmp = tempDir("evolve-store-");
  file = path.join(tmp.dir, "evolve", "interactions.sqlite");
  store = openInteractionStore(file)!;
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe("recording", () => {
  it("writes the request first, completes it with tools, timings and implicit feedback, and reads it back", () => {
    const t0 = Date.now();
    const id = store.begin({ ...START, at: t0 });
    expect(store.get(id)).toMatchObject({ status: "in-flight", request: START.request, answer: null, generation: 3 });
    const end: InteractionEnd = {
      ...END,
      toolCalls: [...END.toolCalls, { name: "searchNotes", args: "[]", ok: false, result: "took too long", failureKind: "timeout", ms: 1000 }],
      refusals: 1,
      at: t0 + 1_000,
    };
    store.complete(id, end, [{ source: "implicit", signal: "timeout", note: "searchNotes timed out" }]);
    const i = store.get(id);
    expect(i).toMatchObject({ status: "answered", answer: "hello-world", startedAt: t0, finishedAt: t0 + 1_000, totalMs: 120, firstTokenMs: 40, tokensIn: 300, tokensOut: 20, refusals: 1 });
    expect(i.model).toEqual({ provider: "ollama", name: "llama3", identity: "ollama:llama3:latest@abc", params: { temperature: 0, maxSteps: 4 } });
    expect(i.toolCalls.map((t) => [t.name, t.ok, t.failureKind])).toEqual([["slugify", true, null], ["searchNotes", false, "timeout"]]);
    expect(i.feedback).toMatchObject([{ source: "implicit", signal: "timeout", note: "searchNotes timed out" }]);
    expect(store.list()).toMatchObject([{ id, toolCalls: 2, toolFailures: 1, signals: ["timeout"], status: "answered" }]);
    expect(() => store.complete(id, END)).toThrow(/already completed/);
  });

  it("caps hostile sizes and keeps the original lengths", () => {
    const id = store.begin({ ...START, request: "q".repeat(LIMITS.request + 5000) });
    const huge = "x".repeat(1_000_000);
    store.complete(id, { ...END, answer: huge, toolCalls: Array.from({ length: 200 }, () => ({ name: "t", args: huge, ok: true, result: huge, failureKind: null, ms: 1 })) });
    const i = store.get(id);
    expect(i.request.length).toBeLessThanOrEqual(LIMITS.request);
    expect(i.requestChars).toBe(LIMITS.request + 5000);
    expect(i.answer!.length).toBeLessThanOrEqual(LIMITS.answer);
    expect(i.answer).toMatch(/… \(\d+ more characters\)$/);
    expect(i.answerChars).toBe(1_000_000);
    expect(i.toolCalls).toHaveLength(LIMITS.toolCalls);
    expect(Math.max(...i.toolCalls.map((t) => t.result.length + t.args.length))).toBeLessThanOrEqual(LIMITS.toolResult + LIMITS.toolArgs);
    // Nothing like a megabyte per tool call reached the file.
    expect(readFileSync(file).length + (existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).length : 0)).toBeLessThan(3_000_000);
  });

  it("keeps the latest explicit rating and tells an unknown id from a purged one", () => {
    const a = store.begin({ ...START, at: Date.parse("2026-01-01") });
    const b = store.begin({ ...START, at: Date.parse("2026-03-01") });
    store.complete(a, END);
    store.complete(b, END);
    store.addFeedback(b, { source: "explicit", signal: "good", rating: 5 });
    store.addFeedback(b, { source: "explicit", signal: "bad", rating: 1, expected: "hello_world" });
    store.addFeedback(b, { source: "implicit", signal: "asked-again" });
    expect(store.get(b).rating).toBe(1);
    const m = store.metricColumns();
    expect([m.n, [...m.rating], [...m.askedAgain], [...m.generation], [...m.answered]]).toEqual([2, [Number.NaN, 1], [0, 1], [3, 3], [1, 1]]);
    expect(store.servedBy()).toEqual(new Map([[3, [START.commit]]]));
    const unknown = thrown(() => store.addFeedback(99, { source: "explicit", signal: "good", rating: 5 }));
    expect(unknown.code).toBe("not-found");
    expect(unknown.message).toBe("no interaction 99 (ids run from 1 to 2)");

    expect(store.purgeBefore(Date.parse("2026-02-01"))).toEqual({ deleted: 1, vacuumed: true });
    const purged = thrown(() => store.addFeedback(a, { source: "explicit", signal: "good", rating: 5 }));
    expect(purged.code).toBe("not-found");
    expect(purged.data).toMatchObject({ id: a, purged: true });
    expect(purged.message).toMatch(/^interaction 1 was purged on \d{4}-/);
    expect(thrown(() => store.get(a)).code).toBe("not-found");
    expect(store.list().map((s) => s.id)).toEqual([b]);
  });

  it("purging removes the text from the file, not only from the tables", () => {
    const secret = "my-bank-password-7f3a9c";
    const id = store.begin({ ...START, request: `remember ${secret}`, at: 1_000 });
    store.complete(id, { ...END, answer: `noted: ${secret}` });
    store.close();
    store = openInteractionStore(file)!;
    const onDisk = (): string => [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1")).join("");
    expect(onDisk()).toContain(secret);
    expect(store.purgeBefore(2_000).deleted).toBe(1);
    expect(onDisk()).not.toContain(secret);
  });

  it("finds the previous interaction of the same conversation only", () => {
    const a = store.begin({ ...START, source: "chat", session: "s1" });
    store.complete(a, END);
    const b = store.begin({ ...START, source: "chat", session: "s2" });
    store.complete(b, END);
    expect(store.previous("chat", "s1", 0)?.id).toBe(a);
    expect(store.previous("ask", null, 0)).toBeNull();
    expect(store.previous("chat", "s1", Date.now() + 60_000)).toBeNull();
  });
});

describe("schema versions and damaged files", () => {
  it("records its schema version and refuses a newer one without writing", () => {
    store.close();
    const raw = new Database(file);
    expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.pragma("wal_checkpoint(TRUNCATE)");
    raw.close();
    const before = sha(file);
    const e = thrown(() => openInteractionStore(file));
    expect(e.code).toBe("storage-version");
    expect(e.message).toBe(`${file} was written by a newer evolve (schema version ${SCHEMA_VERSION + 1}; this evolve knows up to ${SCHEMA_VERSION}); upgrade evolve to use it`);
    expect(sha(file)).toBe(before);
    store = openInteractionStore(path.join(tmp.dir, "other.sqlite"))!;
  });

  it("refuses a file that is not a database, changing nothing", () => {
    store.close();
    const bad = path.join(tmp.dir, "corrupt.sqlite");
    writeFileSync(bad, "this is not a database\n".repeat(500));
    const before = sha(bad);
    const e = thrown(() => openInteractionStore(bad));
    expect(e.code).toBe("storage");
    expect(e.message).toMatch(/corrupt\.sqlite is not a readable interaction store \(file is not a database\); move it away/);
    expect(sha(bad)).toBe(before);
    expect(existsSync(`${bad}-wal`)).toBe(false);
    expect(openInteractionStore(path.join(tmp.dir, "missing.sqlite"), { create: false })).toBeNull();
    expect(existsSync(path.join(tmp.dir, "missing.sqlite"))).toBe(false);
    store = openInteractionStore(file)!;
  });

  it("a locked database is a clear error after the busy timeout", () => {
    const id = store.begin(START);
    store.close();
    store = openInteractionStore(file, { busyTimeoutMs: 100 })!;
    const holder = new Database(file);
    holder.exec("BEGIN EXCLUSIVE");
    try {
      const e = thrown(() => store.addFeedback(id, { source: "explicit", signal: "good", rating: 5 }));
      expect(e.code).toBe("storage");
      expect(e.message).toMatch(/is locked by another process \(waited 100 ms while recording feedback\); try again$/);
      // Readers are not blocked by a writer (WAL).
      expect(store.get(id).status).toBe("in-flight");
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    expect(store.addFeedback(id, { source: "explicit", signal: "good", rating: 5 }).rating).toBe(5);
  });

  it("a full store refuses the write, says so, and keeps what it had", () => {
    store.close();
    store = openInteractionStore(file, { maxBytes: 80 * 1024 })!;
    const kept = store.begin(START);
    let e: EvolveError | undefined;
    for (let i = 0; i < 200 && !e; i++) {
      try {
        store.complete(store.begin({ ...START, request: `${i} ${"r".repeat(15_000)}` }), { ...END, answer: "a".repeat(15_000) });
      } catch (err) {
        if (!isEvolveError(err)) throw err;
        e = err;
      }
    }
    expect(e?.code).toBe("storage");
    expect(e?.message).toMatch(/reached its size limit of 0\.08 MB \(interactions\.maxSizeMb\) while recording/);
    expect(store.get(kept).request).toBe(START.request);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    raw.close();
  });
});

/** A child process that writes to the store through the built module (dist/). */
function writer(script: string, args: string[]): ReturnType<typeof spawn> {
  const mod = path.join(ROOT, "dist", "interactions", "index.js");
  return spawn(process.execPath, ["--input-type=module", "-e", `import * as S from ${JSON.stringify(mod)};\n${script}`, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: string | null; err: string }> {
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, err })));
}

describe("several processes", { timeout: 60_000 }, () => {
  it("two writers at once lose nothing and never fail", async () => {
    const script = `
      const [file, tag] = process.argv.slice(1);
      const store = S.openInteractionStore(file);
      for (let i = 0; i < 150; i++) {
        const id = store.begin({ source: "chat", session: tag, request: tag + " " + i, model: { provider: "p", name: "m", identity: null, params: {} }, commit: null, generation: 1 });
        store.complete(id, { status: "answered", answer: "a", errorKind: null, error: null, toolCalls: [], steps: 1, refusals: 0, firstTokenMs: 1, totalMs: 2, modelMs: 1, tokensIn: 1, tokensOut: 1 });
        if (i % 10 === 0) store.addFeedback(id, { source: "explicit", signal: "good", rating: 5 });
      }
      store.close();`;
    const runs = [exited(writer(script, [file, "A"])), exited(writer(script, [file, "B"]))];
    // This process reads meanwhile.
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      seen.push(store.metricColumns().n);
      await new Promise((r) => setTimeout(r, 20));
    }
    const results = await Promise.all(runs);
    for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
    const rows = store.list({ limit: 1000 });
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.id)).size).toBe(300);
    expect(rows.filter((r) => r.rating === 5)).toHaveLength(30);
    expect(seen.every((n, i) => i === 0 || n >= seen[i - 1]!)).toBe(true);
  });

  it("a writer killed mid-request loses only that answer; its row reads as interrupted", async () => {
    const done = store.begin(START);
    store.complete(done, END);
    const child = writer(
      `const store = S.openInteractionStore(process.argv[1]);
       const id = store.begin({ source: "chat", session: "k", request: "about to be killed", model: { provider: "p", name: "m", identity: null, params: {} }, commit: null, generation: 1 });
       console.log(id);
       setInterval(() => {}, 1000);`,
      [file],
    );
    const result = exited(child);
    const id = await new Promise<number>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
    expect(store.get(id).status).toBe("in-flight");
    child.kill("SIGKILL");
    expect((await result).signal).toBe("SIGKILL");
    expect(store.get(id)).toMatchObject({ status: "interrupted", request: "about to be killed", answer: null });
    expect(store.get(done).status).toBe("answered");
    expect(store.metricColumns().n).toBe(1); // interrupted requests are listed, not measured
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    raw.close();
  });
});
