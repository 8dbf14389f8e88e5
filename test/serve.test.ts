/**
 * `evolve serve` from the outside: the official `openai` npm client (a client we did not write)
 * against the server on loopback, answering with the real stories260K.gguf model; hot reload of a
 * committed generation; feedback; the token; and the faults: a body that is not JSON or too large,
 * too many requests at once, a model that breaks off mid-stream, a client that goes away, a port in
 * use, a bad token, a missing model file. The faults a model server causes are played by a local
 * HTTP server speaking Ollama's wire format.
 */
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openInteractionStore } from "../interactions/index.js";
import { startServe, type RunningServe, type ServeOptions } from "../serve/start.js";
import { fakeOllama, type FakeServer } from "./llm-fake-servers.js";
import { ROOT, evolve, evolveAsync, generation, git, tempDir } from "./helpers.js";

const MODEL = process.env.EVOLVE_TEST_MODEL ?? path.resolve(ROOT, "../shared/models/stories260K.gguf");
const HAVE_MODEL = existsSync(MODEL);
if (!HAVE_MODEL) console.warn(`serve.test.ts: the model tests are skipped: no model file at ${MODEL} (set EVOLVE_TEST_MODEL)`);

const logs: string[] = [];
const quiet: Pick<ServeOptions, "log"> = { log: (l) => void logs.push(l) };
const client = (s: RunningServe, apiKey = "unused") => new OpenAI({ baseURL: `${s.server.url}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
const db = (ws: string) => path.join(ws, ".git", "evolve", "interactions.sqlite");
const post = (s: RunningServe, route: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${s.server.url}${route}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
const hello = { model: "any", messages: [{ role: "user" as const, content: "Tell me a story about a cat" }] };

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir("evolve-serve-");
});
afterAll(() => tmp.cleanup());

describe.skipIf(!HAVE_MODEL)("with the real model, through the openai client", { timeout: 120_000 }, () => {
  let ws: string;
  let s: RunningServe;
  beforeAll(async () => {
    ws = path.join(tmp.dir, "st");
    expect(evolve(["init", ws, "--example", "storyteller"], tmp.dir).status).toBe(0);
    s = await startServe({ root: ws, model: { model: MODEL, threads: 1 }, port: 0, ...quiet });
  });
  afterAll(async () => s?.close());

  it("lists the agent named after the workspace, with the generation it serves", async () => {
    const list = await client(s).models.list();
    expect(list.data.map((m) => m.id)).toEqual(["storyteller"]);
    expect((list.data[0] as unknown as { evolve: unknown }).evolve).toMatchObject({ generation: 0, commit: git(ws, "rev-parse", "HEAD"), branch: "main" });
  });

  it("gives no silently cut answer: generation 0 (maxTokens 24) cannot answer, and says so, whole and streamed", async () => {
    const whole = await client(s).chat.completions.create(hello).then(
      () => null,
      (e: unknown) => e,
    );
    expect(whole).toBeInstanceOf(OpenAI.APIError);
    expect((whole as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((whole as InstanceType<typeof OpenAI.APIError>).message).toMatch(/the agent gave no answer: .*maxTokens = 24/);
    const stream = await client(s).chat.completions.create({ ...hello, stream: true });
    const got: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) got.push(chunk.choices[0]?.delta.content ?? "");
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, "the stream must end with an error, not quietly").toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toMatch(/the agent gave no answer/);
  });

  it("serves a newly committed generation to new requests, records which one answered, and takes feedback", async () => {
    const commit = await generation(ws, 1, "maxTokens 24 -> 48", { "agent/params.json": [['"maxTokens": 24', '"maxTokens": 48']] });
    expect(await s.generations.refresh()).toBe(true);
    const { data, response } = await client(s).chat.completions.create(hello).withResponse();
    const id = Number(response.headers.get("x-evolve-interaction"));
    expect(id).toBeGreaterThan(0);
    expect((data as unknown as { interaction_id: number }).interaction_id).toBe(id);
    expect(data.model).toBe("storyteller");
    const answer = data.choices[0]!.message.content!;
    expect(answer.length).toBeGreaterThan(0);
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);

    const stream = await client(s).chat.completions.create({ ...hello, stream: true, stream_options: { include_usage: true } });
    let streamed = "";
    let usage = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage?.completion_tokens ?? usage;
    }
    expect(streamed).toBe(answer); // temperature 0: the same request, the same answer, whole
    expect(finish).toBe("stop");
    expect(usage).toBeGreaterThan(0);

    const fb = await post(s, "/v1/feedback", JSON.stringify({ id, bad: true, expected: "a story about a cat" }));
    expect(fb.status).toBe(200);
    const store = openInteractionStore(db(ws), { create: false })!;
    try {
      const row = store.get(id);
      expect(row).toMatchObject({ source: "serve", status: "answered", answer, generation: 1, commit, request: hello.messages[0]!.content });
      expect(row.feedback.some((f) => f.signal === "bad" && f.expected === "a story about a cat")).toBe(true);
    } finally {
      store.close();
    }
  });
});

describe("faults, with a local server speaking Ollama's wire format", { timeout: 120_000 }, () => {
  let fake: FakeServer;
  let ws: string;
  let s: RunningServe;
  const chunked = (text: string) => {
    const json = JSON.stringify({ action: "answer", text });
    return Array.from({ length: Math.ceil(json.length / 6) }, (_, i) => json.slice(i * 6, i * 6 + 6));
  };
  beforeAll(async () => {
    fake = await fakeOllama();
    ws = path.join(tmp.dir, "tk");
    expect(evolve(["init", ws, "--example", "textkit"], tmp.dir).status).toBe(0);
    s = await startServe({ root: ws, model: { provider: "ollama", model: "llama3", baseUrl: fake.url }, port: 0, token: "t".repeat(24), ...quiet });
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it("refuses a missing or wrong token with 401, and answers with the right one", async () => {
    fake.plan = () => ({ chunks: chunked("Hello there.") });
    const wrong = await client(s, "nope").chat.completions.create(hello).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await fetch(`${s.server.url}/v1/models`)).status).toBe(401);
    const ok = await client(s, s.token!).chat.completions.create(hello);
    expect(ok.choices[0]!.message.content).toBe("Hello there.");
  });

  it("refuses a body that is not JSON, one too large, and a malformed request, naming the field", async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    const notJson = await post(s, "/v1/chat/completions", "{nope", auth);
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).error.message).toBe("the request body is not valid JSON");
    const huge = await post(s, "/v1/chat/completions", JSON.stringify({ messages: [{ role: "user", content: "x".repeat(2_000_000) }] }), auth).catch((e: unknown) => e);
    // The server answers 413 and closes; a client still sending may see the close first.
    if (huge instanceof Response) expect(huge.status).toBe(413);
    const noUser = await post(s, "/v1/chat/completions", JSON.stringify({ messages: [{ role: "system", content: "hi" }] }), auth);
    expect(noUser.status).toBe(400);
    expect(((await noUser.json()) as any).error).toMatchObject({ param: "messages", message: expect.stringMatching(/last message .* must be the user's request/) });
    const badRole = await post(s, "/v1/chat/completions", JSON.stringify({ messages: [{ role: "tool", content: "x" }] }), auth);
    expect(((await badRole.json()) as any).error.param).toBe("messages[0].role");
    const badFeedback = await post(s, "/v1/feedback", JSON.stringify({ id: 1, good: true, bad: true }), auth);
    expect(badFeedback.status).toBe(400);
    expect((await post(s, "/v1/feedback", JSON.stringify({ id: 999, good: true }), auth)).status).toBe(404);
    expect((await client(s, s.token!).models.list()).data).toHaveLength(1);
  });

  it("a model breaking off mid-stream ends the stream with an error event; the server goes on", async () => {
    fake.plan = () => ({ chunks: chunked("Once upon a time there was a very long answer."), closeAfter: 5 });
    const stream = await client(s, s.token!).chat.completions.create({ ...hello, stream: true });
    let text = "";
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeLessThan("Once upon a time there was a very long answer.".length);
    fake.plan = () => ({ chunks: chunked("Still here.") });
    expect((await client(s, s.token!).chat.completions.create(hello)).choices[0]!.message.content).toBe("Still here.");
  });

  it("a client going away mid-stream stops the model call; requests in flight finish on the generation they started with", async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    fake.plan = () => ({ chunks: chunked("A slow answer, one piece at a time."), delayMs: 150 });
    const res = await post(s, "/v1/chat/completions", JSON.stringify({ ...hello, stream: true }), auth);
    const goneId = Number(res.headers.get("x-evolve-interaction"));
    await res.body!.cancel(); // the client hangs up after the headers
    // Meanwhile: a slow request in flight, and a new generation committed under it.
    const slow = client(s, s.token!).chat.completions.create(hello).withResponse();
    await new Promise((r) => setTimeout(r, 300));
    await generation(ws, 1, "answer more briefly", { "agent/prompts/system.md": [["Answer briefly.", "Answer in one sentence."]] });
    expect(await s.generations.refresh()).toBe(true);
    const before = await slow;
    expect(before.response.headers.get("x-evolve-generation")).toBe("0");
    expect(before.data.choices[0]!.message.content).toBe("A slow answer, one piece at a time.");
    fake.plan = () => ({ chunks: chunked("Fresh.") });
    const after = await client(s, s.token!).chat.completions.create(hello).withResponse();
    expect(after.response.headers.get("x-evolve-generation")).toBe("1");
    const store = openInteractionStore(db(ws), { create: false })!;
    try {
      expect(store.get(Number(before.response.headers.get("x-evolve-interaction"))).generation).toBe(0);
      expect(store.get(Number(after.response.headers.get("x-evolve-interaction"))).generation).toBe(1);
      await expect.poll(() => store.get(goneId).status, { timeout: 10_000 }).toBe("error");
    } finally {
      store.close();
    }
  });

  it("answers 429 past serve.maxConcurrent rather than queueing unseen", async () => {
    fake.plan = () => ({ chunks: chunked("Busy."), delayMs: 100 });
    const c = client(s, s.token!);
    const all = await Promise.allSettled(Array.from({ length: 6 }, () => c.chat.completions.create(hello)));
    const refused = all.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason);
    expect(all.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    expect(refused).toHaveLength(2);
    for (const e of refused) expect(e).toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe("start-up refusals", { timeout: 120_000 }, () => {
  let ws: string;
  beforeAll(() => {
    ws = path.join(tmp.dir, "refuse");
    expect(evolve(["init", ws, "--example", "storyteller"], tmp.dir).status).toBe(0);
  });

  it("a missing model file is one line and exit 2, with no stack, before any port is taken", async () => {
    const missing = await evolveAsync(["serve", "--workspace", ws, "--port", "0", "--model", path.join(tmp.dir, "nope.gguf")], tmp.dir);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^error: .*nope\.gguf does not exist/m);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it("a bad token and a port in use are refused as usage (exit 2), naming what to change", async () => {
    const fake = await fakeOllama();
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as net.AddressInfo).port;
    const model = { provider: "ollama", model: "llama3", baseUrl: fake.url };
    try {
      await expect(startServe({ root: ws, model, port: 0, token: "short", ...quiet })).rejects.toMatchObject({ code: "usage", message: "--token: a token needs at least 16 characters, got 5" });
      await expect(startServe({ root: ws, model, port: 0, token: "with a space in it", ...quiet })).rejects.toMatchObject({ code: "usage", message: expect.stringMatching(/without spaces/) });
      await expect(startServe({ root: ws, model, port, ...quiet })).rejects.toMatchObject({ code: "usage", message: `127.0.0.1:${port} is in use (pass --port, or stop what listens there)` });
    } finally {
      busy.close();
      await fake.close();
    }
  });

  it("binding beyond loopback generates a token and requires it", async () => {
    const fake = await fakeOllama();
    const s = await startServe({ root: ws, model: { provider: "ollama", model: "llama3", baseUrl: fake.url }, host: "0.0.0.0", port: 0, ...quiet });
    try {
      expect(s.generatedToken).toBe(true);
      expect(s.token!.length).toBeGreaterThanOrEqual(40);
      const port = new URL(s.server.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/v1/models`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${s.token}` } })).status).toBe(200);
    } finally {
      await s.close();
      await fake.close();
    }
  });
});
