/**
 * Learning from use through the built CLI: `evolve ask` and `evolve chat` record into the store,
 * `feedback`, `interactions`, `stats`, `promote` and `interactions purge` read and change it, against
 * a local HTTP server speaking Ollama's wire format; and the faults: unknown or purged ids, bad
 * times, a corrupt, newer, locked or full store, and a chat killed mid-answer.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openInteractionStore, type InteractionStore } from "../interactions/index.js";
import { fakeOllama, type FakeServer } from "./llm-fake-servers.js";
import { CLI, GIT_ENV, ROOT, evolve, evolveAsync, generation, git, tempDir } from "./helpers.js";

// EVOLVE_TEST_MODEL: where the repository is not checked out beside shared/ (a git worktree).
const MODEL = process.env.EVOLVE_TEST_MODEL ?? path.resolve(ROOT, "../shared/models/stories260K.gguf");

const chunked = (value: unknown, size = 9): string[] => {
  const text = JSON.stringify(value);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
};
const answer = (text: string) => ({ chunks: chunked({ action: "answer", text }) });
const tool = (name: string, args: unknown[]) => ({ chunks: chunked({ action: "tool", tool: name, args }) });
/** The server counts requests over its lifetime: this plan calls the tool on the first request it sees, then answers. */
const toolThenAnswer = (call: ReturnType<typeof tool>, text: string) => {
  let first = true;
  return () => (first ? ((first = false), call) : answer(text));
};
const sha = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");
const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .*\.js:\d+/);

let fake: FakeServer;
let tmp: ReturnType<typeof tempDir>;
let ws: string;
let db: string;
const flags = () => ["--workspace", ws, "--provider", "ollama", "--model", "llama3", "--base-url", fake.url];
const ask = (request: string, ...more: string[]) => evolveAsync(["ask", request, ...flags(), ...more], tmp.dir);
const json = async (args: string[]): Promise<any> => {
  const r = await evolveAsync([...args, "--workspace", ws, "--json"], tmp.dir);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const store = (): InteractionStore => openInteractionStore(db, { create: false })!;

beforeAll(async () => {
  fake = await fakeOllama();
  tmp = tempDir("evolve-interactions-");
  ws = path.join(tmp.dir, "ws");
  db = path.join(ws, ".git", "evolve", "interactions.sqlite");
  expect(evolve(["init", ws, "--example", "textkit"], tmp.dir).status).toBe(0);
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

describe("recording and reading back", { timeout: 120_000 }, () => {
  it("evolve ask records request, tool call, latency and model, outside the work tree", async () => {
    fake.plan = toolThenAnswer(tool("slugify", ["Hello World"]), "The slug is hello-world.");
    const r = await ask("Slugify Hello World", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).interaction).toBe(1);
    expect(r.stderr).toContain("recorded as interaction 1 (evolve feedback 1 --good | --bad");
    const i = await json(["interactions", "1"]);
    expect(i).toMatchObject({ id: 1, source: "ask", status: "answered", request: "Slugify Hello World", answer: "The slug is hello-world.", generation: 0, commit: git(ws, "rev-parse", "HEAD") });
    expect(i.model).toMatchObject({ provider: "ollama", name: "llama3", identity: expect.stringMatching(/^ollama:llama3:latest@365c0bd3/), params: { temperature: 0, maxSteps: 4 } });
    expect(i.toolCalls).toEqual([{ name: "slugify", args: '["Hello World"]', ok: true, result: '"hello-world"', failureKind: null, ms: expect.any(Number) }]);
    expect(i.totalMs).toBeGreaterThan(0);
    expect(i.firstTokenMs).toBeGreaterThan(0);
    expect(i.firstTokenMs).toBeLessThanOrEqual(i.totalMs);
    expect(i.tokensOut).toBeGreaterThan(0);
    expect(git(ws, "status", "--porcelain")).toBe("");
    const human = await evolveAsync(["interactions", "1", "--workspace", ws], tmp.dir);
    expect(human.stdout).toMatch(/^tool 1 +slugify\("Hello World"\) -> "hello-world"/m);
  });

  it("implicit feedback: a failing tool, refused replies, the steps running out, asking again", async () => {
    fake.plan = toolThenAnswer(tool("median", [[]]), "There is no median.");
    expect((await ask("What is the median of nothing?")).status).toBe(0);
    fake.plan = () => ({ chunks: ['{"action":"tool","tool":"slugify","args":[42]}'] });
    const r = await ask("what is the median of nothing", "--max-steps", "2");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("recorded as interaction 3");
    const list = await json(["interactions"]);
    expect(list.map((s: any) => [s.id, s.status, s.errorKind, s.signals])).toEqual([
      [3, "no-answer", "max-steps", ["refused", "max-steps"]],
      [2, "answered", null, ["tool-failure", "asked-again"]],
      [1, "answered", null, []],
    ]);
    expect(list[1].toolFailures).toBe(1);
  });

  it("--no-record records nothing", async () => {
    fake.plan = () => answer("ok");
    const r = await ask("not recorded", "--no-record", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).interaction).toBeNull();
    expect(r.stderr).not.toContain("recorded as");
    expect((await json(["interactions"])).length).toBe(3);
  });

  it("evolve feedback stores verdicts and refuses bad ids and flags with exit 2, changing nothing", async () => {
    const f = await json(["feedback", "1", "--bad", "--expected", "hello-world", "--note", "just the slug"]);
    expect(f.feedback).toMatchObject({ source: "explicit", signal: "bad", rating: 1, expected: "hello-world", note: "just the slug" });
    expect((await json(["feedback", "2", "--rating", "4"])).feedback.rating).toBe(4);
    const before = sha(db);
    for (const [args, message] of [
      [["feedback", "99", "--good"], /^error: no interaction 99 \(ids run from 1 to 3\)$/m],
      [["feedback", "1"], /^error: give exactly one of --good, --bad or --rating N$/m],
      [["feedback", "1", "--rating", "7"], /^error: a rating is a whole number from 1 to 5, got 7$/m],
      [["feedback", "x1", "--good"], /^error: "x1" is not an interaction id/m],
      [["interactions", "--since", "last week"], /^error: --since: "last week" is neither a duration/m],
      [["stats", "--since", "2026-13-01"], /^error: --since: "2026-13-01" is neither/m],
    ] as const) {
      const r = await evolveAsync([...args, "--workspace", ws], tmp.dir);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      noStack(r.stderr);
    }
    expect(sha(db)).toBe(before);
  });

  it("evolve stats: medians, rates with intervals, per generation and per day", async () => {
    const s = await json(["stats", "--since", "24h", "--by", "generation"]);
    expect(s.overall.interactions).toBe(3);
    expect(s.overall.errorRate).toMatchObject({ count: 1, n: 3 });
    expect(s.overall.errorRate.low).toBeGreaterThan(0);
    expect(s.overall.responseTimeMs.median).toBeGreaterThan(0);
    expect(s.overall.userSatisfaction).toMatchObject({ n: 2, estimate: 2.5 });
    expect(s.groups.map((g: any) => [g.key, g.metrics.interactions])).toEqual([["0", 3]]);
    const day = await json(["stats", "--by", "day"]);
    expect(day.groups).toHaveLength(1);
    const human = await evolveAsync(["stats", "--workspace", ws], tmp.dir);
    expect(human.stdout).toMatch(/^ {2}error_rate +33\.3% \(1\/3\), 95% CI/m);
  });
});

describe("evolve promote", { timeout: 120_000 }, () => {
  it("shows the case, asks, and commits it as a user commit that evolve eval loads", async () => {
    const head = git(ws, "rev-parse", "HEAD");
    const no = await evolveAsync(["promote", "1", "--workspace", ws], tmp.dir, "n\n");
    expect(no.status).toBe(1);
    expect(no.stdout).toContain("  - id: promoted-1");
    expect(no.stdout).toContain("not committed; nothing was changed");
    const silent = await evolveAsync(["promote", "1", "--workspace", ws], tmp.dir);
    expect(silent.status).toBe(2);
    expect(silent.stderr).toMatch(/^error: promote asks before it commits and got no answer: pass --yes/m);
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);

    const yes = await evolveAsync(["promote", "1", "--workspace", ws, "--split", "holdout"], tmp.dir, "y\n");
    expect(yes.status, yes.stderr).toBe(0);
    expect(git(ws, "log", "-1", "--format=%s%n%(trailers:key=Evolve-Interaction)")).toBe("golden: promote interaction 1 to case promoted-1\nEvolve-Interaction: 1");
    expect(git(ws, "rev-parse", "HEAD~1")).toBe(head);
    expect(git(ws, "status", "--porcelain")).toBe("");
    expect(git(ws, "tag", "--points-at", "HEAD")).toBe("");
    const file = readFileSync(path.join(ws, "golden-tests", "promoted.yaml"), "utf8");
    expect(file).toMatch(/- id: promoted-1\n {4}description: "promoted from interaction 1 .*expected answer from feedback"\n {4}agent:\n {6}request: Slugify Hello World\n {4}assert:\n {6}- type: equals\n {8}value: hello-world\n/);
    expect(file).toContain("split: holdout");

    const evalRun = await evolveAsync(["eval", "--workspace", ws, "--json"], tmp.dir);
    expect(evalRun.status, evalRun.stderr).toBe(0);
    expect(JSON.parse(evalRun.stdout).commit).toBe(git(ws, "rev-parse", "HEAD"));

    // A second promotion appends; the first case keeps every byte.
    const second = await json(["promote", "2", "--yes", "--expected", "It is undefined."]);
    expect(second).toMatchObject({ committed: true, basis: "expected-flag", case: { id: "promoted-2" } });
    expect(readFileSync(path.join(ws, "golden-tests", "promoted.yaml"), "utf8").startsWith(file.trimEnd())).toBe(true);
    const again = await evolveAsync(["promote", "1", "--yes", "--workspace", ws], tmp.dir);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^error: interaction 1 is already a golden case: promoted-1 in golden-tests\/promoted\.yaml:\d+$/m);
    const unrated = await evolveAsync(["promote", "3", "--yes", "--workspace", ws], tmp.dir);
    expect(unrated.status).toBe(2);
    expect(unrated.stderr).toMatch(/^error: interaction 3 has no feedback that says what its answer should be/m);
  });
});

describe("generations and purge", { timeout: 120_000 }, () => {
  it("attributes each interaction to the generation that served it", async () => {
    const out = await generation(ws, 1, "fewer results", { "agent/params.json": [['"maxResults": 6', '"maxResults": 3']] });
    fake.plan = () => answer("ok");
    expect((await ask("after generation 1")).status).toBe(0);
    const s = await json(["stats", "--by", "generation"]);
    expect(s.groups.map((g: any) => [g.key, g.metrics.interactions, g.commits])).toEqual([
      ["0", 3, [expect.any(String)]],
      ["1", 1, [out]],
    ]);
    expect(s.groups[1].comparison.skipped.length).toBeGreaterThan(0);
  });

  it("a planted live regression (a generation whose interactions fail more often) is detected by evolve stats", async () => {
    const pl = path.join(tmp.dir, "planted");
    expect(evolve(["init", pl, "--example", "textkit"], tmp.dir).status).toBe(0);
    const gen0 = git(pl, "rev-parse", "HEAD");
    const gen1 = await generation(pl, 1, "a change that fails in use", { "agent/params.json": [['"maxResults": 6', '"maxResults": 2']] });
    const s = openInteractionStore(path.join(pl, ".git", "evolve", "interactions.sqlite"))!;
    const plant = (generation: number, commit: string, n: number, failures: number) => {
      for (let i = 0; i < n; i++) {
        const id = s.begin({ source: "chat", session: `g${generation}`, request: `question ${i}`, model: { provider: "ollama", name: "llama3", identity: null, params: {} }, commit, generation });
        const failed = i < failures;
        s.complete(id, { status: failed ? "no-answer" : "answered", answer: failed ? null : "ok", errorKind: failed ? "max-steps" : null, error: null, toolCalls: [], steps: 1, refusals: 0, firstTokenMs: 10, totalMs: 400 + ((i * 37) % 200), modelMs: 300, tokensIn: 10, tokensOut: 10 });
      }
    };
    plant(0, gen0, 80, 2);
    plant(1, gen1, 80, 20);
    s.close();
    const r = await evolveAsync(["stats", "--by", "generation", "--workspace", pl, "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(0);
    const g1 = JSON.parse(r.stdout).groups[1];
    expect(g1.commits).toEqual([gen1]);
    const err = g1.regression.findings.find((f: any) => f.metric === "error_rate");
    expect(err).toMatchObject({ test: "two-proportion-z", parent: { n: 80, count: 2 }, child: { n: 80, count: 20 }, significant: true });
    expect(err.p).toBeLessThan(0.001);
    expect(g1.regression.findings.map((f: any) => f.metric)).not.toContain("response_time");
    expect(r.stderr).toMatch(/^1 +80 .*REGRESSION vs gen 0: error_rate 2\/80 -> 20\/80 \(two-proportion-z, p=\d\.\de-5 < 0\.0\d+\)/m);
  });

  it("purge deletes for privacy; feedback on a purged id says so", async () => {
    const p = await json(["interactions", "purge", "--before", "2d"]);
    expect(p.deleted).toBe(0);
    const all = await json(["interactions", "purge", "--before", new Date(Date.now() + 60_000).toISOString().slice(0, 19) + "Z"]);
    expect(all).toMatchObject({ deleted: 4, vacuumed: true });
    const r = await evolveAsync(["feedback", "2", "--good", "--workspace", ws], tmp.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: interaction 2 was purged on \d{4}-\d\d-\d\dT.* \(evolve interactions purge\); it cannot be read or given feedback$/m);
    const bad = await evolveAsync(["interactions", "purge", "--before", "soon", "--workspace", ws], tmp.dir);
    expect(bad.status).toBe(2);
  });
});

describe("a damaged, newer, locked or full store", { timeout: 120_000 }, () => {
  it("a corrupt store is a one-line failure; ask refuses before the model runs; --no-record still works", async () => {
    const aside = `${db}.aside`;
    renameSync(db, aside);
    for (const f of ["-wal", "-shm"]) if (existsSync(db + f)) renameSync(db + f, aside + f);
    try {
      writeFileSync(db, "garbage ".repeat(2000));
      const before = sha(db);
      const list = await evolveAsync(["interactions", "--workspace", ws], tmp.dir);
      expect(list.status).toBe(1);
      expect(list.stderr).toMatch(/^error: .*interactions\.sqlite is not a readable interaction store \(file is not a database\); move it away/m);
      noStack(list.stderr);
      const seen = fake.seen.length;
      const r = await ask("hello");
      expect(r.status).toBe(1);
      expect(fake.seen.slice(seen).filter((s) => s.path === "/api/chat")).toEqual([]);
      fake.plan = () => answer("fine");
      expect((await ask("hello", "--no-record")).status).toBe(0);
      expect(sha(db)).toBe(before);
    } finally {
      renameSync(aside, db);
      for (const f of ["-wal", "-shm"]) if (existsSync(aside + f)) renameSync(aside + f, db + f);
    }
  });

  it("a store from a newer evolve is refused with exit 2 and left as it is", async () => {
    try {
      const raw = new Database(db);
      raw.pragma("user_version = 99");
      raw.pragma("wal_checkpoint(TRUNCATE)");
      raw.close();
      const before = sha(db);
      const r = await evolveAsync(["stats", "--workspace", ws], tmp.dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^error: .*interactions\.sqlite was written by a newer evolve \(schema version 99; this evolve knows up to 1\); upgrade evolve to use it$/m);
      expect(sha(db)).toBe(before);
    } finally {
      const raw = new Database(db);
      raw.pragma("user_version = 1");
      raw.close();
    }
  });

  it("a store locked by another process: the writer waits, then fails with exit 1", async () => {
    fake.plan = () => answer("ok");
    expect((await ask("one more")).status).toBe(0);
    const holder = new Database(db);
    holder.exec("BEGIN EXCLUSIVE");
    try {
      const r = await evolveAsync(["feedback", "5", "--good", "--workspace", ws], tmp.dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: the interaction store .* is locked by another process \(waited 5000 ms while recording feedback\); try again$/m);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
  });

  it("a full store (interactions.maxSizeMb) refuses to record before the model runs", async () => {
    const small = path.join(tmp.dir, "small");
    expect(evolve(["init", small, "--example", "textkit"], tmp.dir).status).toBe(0);
    const config = path.join(small, "evolve.config.yaml");
    writeFileSync(config, `${readFileSync(config, "utf8")}\ninteractions:\n  maxSizeMb: 0.1\n`);
    git(small, "commit", "-qam", "small store");
    const file = path.join(small, ".git", "evolve", "interactions.sqlite");
    const s = openInteractionStore(file, { maxBytes: 0.1 * 1048576 })!;
    // Fill it, big requests first and then small ones into what space is left.
    for (const size of [15_000, 1_000, 50]) {
      try {
        for (;;) s.begin({ source: "ask", session: null, request: "r".repeat(size), model: { provider: "p", name: "m", identity: null, params: {} }, commit: null, generation: 0 });
      } catch (e) {
        expect((e as Error).message).toMatch(/reached its size limit/);
      }
    }
    s.close();
    const seen = fake.seen.length;
    const r = await evolveAsync(["ask", "hello", "--workspace", small, "--provider", "ollama", "--model", "llama3", "--base-url", fake.url], tmp.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: the interaction store .* reached its size limit of 0\.1 MB \(interactions\.maxSizeMb\) while recording a request; purge old interactions/m);
    expect(fake.seen.slice(seen).filter((x) => x.path === "/api/chat")).toEqual([]);
  });
});

describe("evolve chat", { timeout: 120_000 }, () => {
  it("/good, /bad with the expected answer and /rate apply to the last answer; a bad /rate does not end the chat", async () => {
    const before = store();
    const last = before.list({ limit: 1 })[0]?.id ?? 0;
    before.close();
    fake.plan = (n) => answer(`answer ${n}`);
    const r = await evolveAsync(["chat", ...flags()], tmp.dir, "/good\nfirst question\n/good\nsecond question\n/bad The answer should list 3 notes\n/rate 9\n/rate 2\n/exit\n");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^error: nothing to give feedback on yet: ask something first$/m);
    expect(r.stderr).toMatch(/^error: \/rate takes a whole number from 1 to 5/m);
    const s = store();
    try {
      const [a, b] = [s.get(last + 1), s.get(last + 2)];
      expect(a.source).toBe("chat");
      expect(a.session).toBe(b.session);
      expect(a.feedback.map((f) => f.signal)).toEqual(["good"]);
      expect(b.feedback.map((f) => [f.signal, f.rating, f.expected])).toEqual([["bad", 1, "The answer should list 3 notes"], ["rating", 2, null]]);
    } finally {
      s.close();
    }
  });

  it("killing evolve chat mid-answer leaves the store readable, the turn marked interrupted", async () => {
    fake.plan = (n) => (n % 2 === 0 ? answer("complete answer") : { chunks: chunked({ action: "answer", text: "this answer never ends" }), stallAfter: 3 });
    // The server counts requests across tests: whichever of the first two stalls is the one in flight.
    const child = spawn(process.execPath, [CLI, "chat", ...flags()], { cwd: tmp.dir, env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.write("first\nsecond\nthird\n");
    const closed = new Promise((resolve) => child.on("close", (_c, signal) => resolve(signal)));
    let inFlight: number | undefined;
    for (let i = 0; i < 200 && inFlight === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const s = store();
      inFlight = s.list({ limit: 5 }).find((x) => x.status === "in-flight" && x.source === "chat")?.id;
      s.close();
    }
    expect(inFlight).toBeDefined();
    child.kill("SIGKILL");
    expect(await closed).toBe("SIGKILL");
    const list = await json(["interactions", "--limit", "3"]);
    expect(list.find((x: any) => x.id === inFlight).status).toBe("interrupted");
    expect((await json(["stats"])).overall.interactions).toBeGreaterThan(0);
    const raw = new Database(db, { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    raw.close();
  });
});

if (!existsSync(MODEL)) {
  describe.skip("recording with the real model", () => {
    it.skip(`model file not found at ${MODEL} (CI clones the repo beside shared/)`, () => {});
  });
} else {
  describe("recording with the real model", { timeout: 180_000 }, () => {
    it("evolve ask and evolve chat record what the model really did; a chat turn promoted loads in evolve eval", async () => {
      const st = path.join(tmp.dir, "st");
      expect(evolve(["init", st, "--example", "storyteller"], tmp.dir).status).toBe(0);
      const model = ["--workspace", st, "--model", MODEL];
      const a = await evolveAsync(["ask", "Tell me a story about a cat.", ...model, "--json"], tmp.dir);
      expect(JSON.parse(a.stdout).interaction, a.stderr).toBe(1);
      const c = await evolveAsync(["chat", ...model], tmp.dir, "Tell me a story about a dog.\n/bad The dog ran home.\nTell me a story about a dog.\n/rate 4\n");
      expect(c.stderr).toContain("recorded as interaction 3");
      const s = openInteractionStore(path.join(st, ".git", "evolve", "interactions.sqlite"), { create: false })!;
      try {
        const [one, two, three] = [s.get(1), s.get(2), s.get(3)];
        expect(one.model).toMatchObject({ provider: "node-llama-cpp", name: MODEL, identity: expect.stringMatching(/^gguf-sha256:[0-9a-f]{64}$/), params: { temperature: 0, maxTokens: 24, maxSteps: 1 } });
        // The tiny model's reply is cut at maxTokens 24 in this example: recorded as such, with real token counts.
        expect(one.tokensOut).toBeGreaterThan(0);
        expect(one.totalMs).toBeGreaterThan(0);
        expect(["answered", "no-answer"]).toContain(one.status);
        expect(two.source).toBe("chat");
        expect(two.feedback.filter((f) => f.source === "explicit").map((f) => [f.signal, f.expected])).toEqual([["bad", "The dog ran home."]]);
        expect(two.feedback.filter((f) => f.source === "implicit").map((f) => f.signal)).toContain("asked-again");
        // A reply cut by maxTokens is refused, and with maxSteps 1 that ends the request: both are signals.
        if (two.status === "no-answer") expect(two.feedback.map((f) => f.signal)).toEqual(expect.arrayContaining(["refused", "max-steps"]));
        expect(three.rating).toBe(4);
        expect(three.session).toBe(two.session);
      } finally {
        s.close();
      }
      const p = await evolveAsync(["promote", "2", "--yes", "--workspace", st, "--json"], tmp.dir);
      expect(p.status, p.stderr).toBe(0);
      expect(JSON.parse(p.stdout).case).toMatchObject({ agent: { request: "Tell me a story about a dog." }, assert: [{ type: "equals", value: "The dog ran home." }] });
      const e = await evolveAsync(["eval", "--workspace", st, "--json"], tmp.dir);
      expect(e.status, e.stderr).toBe(0);
    });
  });
}
