/**
 * The HTTP providers against real local servers that speak Ollama's and the OpenAI-compatible wire
 * formats (test/llm-fake-servers.ts). Every assertion on what a provider sends is made on the
 * request body the server received.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cached, createResponseCache } from "../agent/llm/cache.js";
import { doctor } from "../agent/llm/doctor.js";
import { createOllamaProvider } from "../agent/llm/ollama.js";
import { createOpenAiProvider } from "../agent/llm/openai.js";
import { type Completion, LlmError, type Provider } from "../agent/llm/provider.js";
import { generateJson } from "../agent/llm/structured.js";
import { type FakeServer, OLLAMA_MODELS, closedPort, fakeOllama, fakeOpenAi } from "./llm-fake-servers.js";
import { collectStream, tempDir } from "./helpers.js";

const FAST = { retries: 2, backoffMs: 5, timeoutMs: 5000 };
const servers: FakeServer[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const c of cleanups.splice(0)) c();
});

async function ollama(): Promise<FakeServer> {
  const s = await fakeOllama();
  servers.push(s);
  return s;
}
async function openai(models?: string[]): Promise<FakeServer> {
  const s = await fakeOpenAi(models);
  servers.push(s);
  return s;
}


/** Runs a stream to its error, keeping the chunks that arrived before it. */
async function failure(gen: AsyncGenerator<string, Completion>): Promise<{ chunks: string[]; error: LlmError }> {
  const chunks: string[] = [];
  try {
    for (;;) {
      const step = await gen.next();
      if (step.done) throw new Error(`expected a failure, got a completion: ${JSON.stringify(step.value)}`);
      chunks.push(step.value);
    }
  } catch (err) {
    if (!(err instanceof LlmError)) throw err;
    return { chunks, error: err };
  }
}

const generations = (s: FakeServer, path = "/api/generate") => s.seen.filter((r) => r.path === path);

describe("Ollama provider", () => {
  it("streams /api/generate NDJSON and sends every option in Ollama's names", async () => {
    const s = await ollama();
    s.plan = () => ({ chunks: ["Once", " upon", " a", " time"] });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const schema = { type: "object", properties: { op: { enum: ["a", "b"] } }, required: ["op"] };
    const { chunks, completion } = await collectStream(p.stream("Tell me", { temperature: 0.2, topP: 0.9, maxTokens: 64, stop: ["\n\n"], seed: 7, schema }));
    expect(chunks).toEqual(["Once", " upon", " a", " time"]);
    expect(completion).toMatchObject({ text: "Once upon a time", tokens: { prompt: 7, completion: 4 }, cached: false });
    expect(completion.firstTokenMs).not.toBeNull();
    const [req] = generations(s);
    expect(req?.body).toEqual({ model: "llama3", prompt: "Tell me", stream: true, format: schema, options: { temperature: 0.2, top_p: 0.9, num_predict: 64, stop: ["\n\n"], seed: 7 } });
  });

  it("sends conversations to /api/chat and reads message.content chunks", async () => {
    const s = await ollama();
    s.plan = () => ({ chunks: ["Hi", "!"] });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const c = await p.complete([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hello" },
    ]);
    expect(c.text).toBe("Hi!");
    const [req] = generations(s, "/api/chat");
    expect(req?.body).toEqual({ model: "llama3", stream: true, options: {}, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }] });
  });

  it("info() comes from /api/tags and /api/show: identity carries the digest", async () => {
    const s = await ollama();
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const info = await p.info();
    expect(info).toMatchObject({ provider: "ollama", model: "llama3:latest", identity: `ollama:llama3:latest@${OLLAMA_MODELS[0]?.digest}`, contextSize: 8192 });
    expect(info.details).toMatchObject({ family: "llama", quantization_level: "Q4_0", baseUrl: s.url });
    expect(s.seen.find((r) => r.path === "/api/show")?.body).toEqual({ model: "llama3:latest" });
    expect(await p.listModels?.()).toEqual(["llama3:latest", "qwen2.5-coder:7b"]);
  });

  it("a model that is not pulled: health, generation and doctor all say `ollama pull`", async () => {
    const s = await ollama();
    const p = createOllamaProvider({ baseUrl: s.url, model: "mistral", http: FAST });
    expect(await p.health()).toEqual({ ok: false, problem: "model mistral is not pulled: run `ollama pull mistral`" });
    const err = await p.complete("hi").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).kind).toBe("model");
    expect((err as Error).message).toBe(`model mistral is not pulled: run \`ollama pull mistral\` (Ollama at ${s.url} answered 404)`);
    const report = await doctor({ provider: "ollama", baseUrl: s.url, model: "mistral" });
    expect(report).toEqual({
      ok: false,
      lines: [`model: ollama at ${s.url}, model mistral`, "models: llama3:latest, qwen2.5-coder:7b", "problem: model mistral is not pulled: run `ollama pull mistral`"],
    });
  });

  it("doctor says OK with the model list and identity", async () => {
    const s = await ollama();
    const report = await doctor({ provider: "ollama", baseUrl: s.url, model: "qwen2.5-coder:7b" });
    expect(report.ok).toBe(true);
    expect(report.lines).toEqual([
      `model: ollama at ${s.url}, model qwen2.5-coder:7b`,
      "models: llama3:latest, qwen2.5-coder:7b",
      `ok: qwen2.5-coder:7b is ready (identity ollama:qwen2.5-coder:7b@${OLLAMA_MODELS[1]?.digest}, context 8192 tokens)`,
    ]);
  });

  it("retries a 503 before any byte, then succeeds", async () => {
    const s = await ollama();
    s.plan = (n) => (n < 2 ? { status: 503, error: "server busy" } : { chunks: ["ok"] });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const c = await p.complete("hi");
    expect(c.text).toBe("ok");
    expect(generations(s)).toHaveLength(3);
  });

  it("gives up on a 503 after the retries, quoting the server", async () => {
    const s = await ollama();
    s.plan = () => ({ status: 503, error: "server busy" });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: { ...FAST, retries: 1 } });
    const err = (await p.complete("hi").catch((e: unknown) => e)) as LlmError;
    expect(err).toBeInstanceOf(LlmError);
    expect(err.kind).toBe("http");
    expect(err.message).toBe(`Ollama at ${s.url} answered 503 to POST /api/generate: server busy [gave up after 2 attempts]`);
    expect(generations(s)).toHaveLength(2);
  });

  it("a 4xx is not retried", async () => {
    const s = await ollama();
    s.plan = () => ({ status: 400, error: "invalid options" });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const err = (await p.complete("hi").catch((e: unknown) => e)) as LlmError;
    expect(err.message).toBe(`Ollama at ${s.url} answered 400 to POST /api/generate: invalid options`);
    expect(generations(s)).toHaveLength(1);
  });

  it("times out a server that never answers, and one that stalls mid-stream", async () => {
    const s = await ollama();
    s.plan = (n) => (n === 0 ? { hang: true } : { chunks: ["a", "b", "c"], stallAfter: 2 });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const silent = await failure(p.stream("hi", { timeoutMs: 150 }));
    expect(silent.error.kind).toBe("timeout");
    expect(silent.error.message).toBe(`Ollama at ${s.url} did not answer within 150 ms (timeoutMs)`);
    const stalled = await failure(p.stream("hi", { timeoutMs: 150 }));
    expect(stalled.chunks).toEqual(["a", "b"]);
    expect(stalled.error.message).toBe(`Ollama at ${s.url} did not finish within 150 ms (timeoutMs); it had sent 2 tokens`);
  });

  it("a server that closes the socket mid-stream is a clear error, never a partial answer", async () => {
    const s = await ollama();
    s.plan = () => ({ chunks: ["a", "b", "c", "d", "e"], closeAfter: 3 });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const { chunks, error } = await failure(p.stream("hi"));
    expect(chunks).toEqual(["a", "b", "c"]);
    expect(error.kind).toBe("stream");
    expect(error.message).toMatch(new RegExp(`^Ollama at ${s.url} closed the stream after 3 tokens \\(.+\\); the partial answer was discarded$`));
    expect(generations(s)).toHaveLength(1); // bytes had arrived: no retry
    await expect(p.complete("hi")).rejects.toThrow(/closed the stream after 3 tokens/);
  });

  it("a stream that ends without its final message, or reports an error, is refused", async () => {
    const s = await ollama();
    s.plan = (n) => (n === 0 ? { chunks: ["a", "b"], noFinal: true } : { chunks: ["a", "b"], errorAfter: 1 });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    await expect(p.complete("hi")).rejects.toThrow(`Ollama at ${s.url} ended the stream after 2 tokens without its final message; the partial answer was discarded`);
    await expect(p.complete("hi")).rejects.toThrow(`Ollama at ${s.url} reported an error after 1 tokens: out of memory`);
  });

  it("connection refused: health names the URL; a call retries, then says so", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const p = createOllamaProvider({ baseUrl: url, model: "llama3", http: FAST });
    expect(await p.health()).toEqual({ ok: false, problem: `cannot connect to Ollama at ${url} (ECONNREFUSED)` });
    await expect(p.complete("hi")).rejects.toThrow(`cannot connect to Ollama at ${url} (ECONNREFUSED) [gave up after 3 attempts]`);
    const report = await doctor({ provider: "ollama", baseUrl: url, model: "llama3" });
    expect(report).toEqual({ ok: false, lines: [`model: ollama at ${url}, model llama3`, `problem: cannot connect to Ollama at ${url} (ECONNREFUSED)`] });
  });

  it("refuses a non-local base URL unless allowRemote", () => {
    for (const make of [() => createOllamaProvider({ baseUrl: "http://8.8.8.8:11434", model: "x" }), () => createOpenAiProvider({ baseUrl: "https://1.1.1.1/v1" })]) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LlmError);
      expect((err as LlmError).kind).toBe("remote");
      expect((err as Error).message).toMatch(/^refusing base URL https?:\/\/(8\.8\.8\.8|1\.1\.1\.1).*is a public address\. evolve talks to local models only; set `model\.allowRemote: true`/);
    }
    expect(createOllamaProvider({ baseUrl: "http://8.8.8.8:11434", model: "x", allowRemote: true }).name).toBe("ollama");
    expect(createOllamaProvider({ baseUrl: "http://192.168.1.20:11434", model: "x" }).name).toBe("ollama");
    expect(createOpenAiProvider({ baseUrl: "http://[::1]:1234/v1" }).name).toBe("openai");
    expect(createOpenAiProvider({ baseUrl: "http://localhost:1234/v1" }).name).toBe("openai");
  });

  it("runs one request at a time by default (two concurrent calls never overlap at the server)", async () => {
    const s = await ollama();
    s.plan = () => ({ chunks: ["a", "b", "c"], delayMs: 20 });
    const one = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    const [a, b] = await Promise.all([one.complete("x"), one.complete("y")]);
    expect([a.text, b.text]).toEqual(["abc", "abc"]);
    expect(s.stats.maxActive).toBe(1);
    // The same server does see overlap when the provider allows it, so the check above can fail.
    const two = createOllamaProvider({ baseUrl: s.url, model: "llama3", concurrency: 2, http: FAST });
    await Promise.all([two.complete("x"), two.complete("y")]);
    expect(s.stats.maxActive).toBe(2);
  });

  it("a consumer that stops reading frees the slot for the next call", async () => {
    const s = await ollama();
    s.plan = () => ({ chunks: ["a", "b", "c"], delayMs: 5 });
    const p = createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST });
    for await (const chunk of p.stream("x")) {
      expect(chunk).toBe("a");
      break;
    }
    expect((await p.complete("y")).text).toBe("abc");
  });
});

describe("response cache over a real server", () => {
  it("a repeated deterministic call is a hit and reaches no server; any changed parameter is a miss", async () => {
    const s = await ollama();
    let n = 0;
    s.plan = () => ({ chunks: [`answer ${n++}`] });
    const cache = createResponseCache();
    const p = cached(createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST }), cache);
    const schema = { type: "object" };

    const first = await p.complete("q", { temperature: 0, maxTokens: 10 });
    const requestsAfterFirst = s.seen.length;
    const { chunks, completion: again } = await collectStream(p.stream("q", { temperature: 0, maxTokens: 10 }));
    expect(s.seen.length).toBe(requestsAfterFirst); // not even /api/tags
    expect(again).toMatchObject({ text: first.text, cached: true, tokens: first.tokens });
    expect(chunks).toEqual([first.text]);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, entries: 1 });

    const variants = [
      { temperature: 0, maxTokens: 10, seed: 1 },
      { temperature: 0, maxTokens: 10, seed: 2 },
      { temperature: 0.5, maxTokens: 10, seed: 2 },
      { temperature: 0, maxTokens: 10, schema },
      { temperature: 0, maxTokens: 11 },
      { temperature: 0, maxTokens: 10, stop: ["x"] },
    ];
    for (const v of variants) expect((await p.complete("q", v)).cached).toBe(false);
    expect((await p.complete("other prompt", { temperature: 0, maxTokens: 10 })).cached).toBe(false);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 8 });
    expect(generations(s)).toHaveLength(8);

    // Sampling without a seed is not reproducible, so it is never cached.
    await p.complete("q", { temperature: 0.7 });
    await p.complete("q", { temperature: 0.7 });
    expect(cache.stats.bypassed).toBe(2);
    expect(generations(s)).toHaveLength(10);
  });

  it("a JSONL cache file survives the process; a corrupt line names file, line and field", async () => {
    const { dir, cleanup } = tempDir("evolve-llm-cache-");
    cleanups.push(cleanup);
    const file = `${dir}/nested/responses.jsonl`;
    const s = await ollama();
    s.plan = () => ({ chunks: ["stored"] });
    const a = cached(createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST }), createResponseCache(file));
    await a.complete("q", { seed: 3 });
    expect(generations(s)).toHaveLength(1);

    const reloaded = createResponseCache(file);
    expect(reloaded.stats.entries).toBe(1);
    const b = cached(createOllamaProvider({ baseUrl: s.url, model: "llama3", http: FAST }), reloaded);
    expect(await b.complete("q", { seed: 3 })).toMatchObject({ text: "stored", cached: true });
    expect(generations(s)).toHaveLength(1);

    const { appendFileSync, readFileSync, writeFileSync } = await import("node:fs");
    const good = readFileSync(file, "utf8");
    // A half-written last line (a killed process) is dropped; the next store starts a fresh line.
    appendFileSync(file, '{"key":"ab');
    const tolerant = createResponseCache(file);
    expect(tolerant.stats.entries).toBe(1);
    writeFileSync(file, `${good}${JSON.stringify({ ...JSON.parse(good), text: 42 })}\n`);
    expect(() => createResponseCache(file)).toThrow(`${file}:2: field "text": expected a string`);
  });
});

describe("OpenAI-compatible provider", () => {
  it("streams SSE chat completions and sends every option in OpenAI's names", async () => {
    const s = await openai();
    s.plan = () => ({ chunks: ['{"op"', ':"a"}'] });
    const p = createOpenAiProvider({ baseUrl: `${s.url}/v1`, model: "qwen2.5-coder-7b-instruct", http: FAST });
    const schema = { type: "object", properties: { op: { enum: ["a", "b"] } }, required: ["op"], additionalProperties: false };
    const { chunks, completion } = await collectStream(p.stream("Pick one", { temperature: 0, topP: 0.5, maxTokens: 32, stop: ["END"], seed: 11, schema }));
    expect(chunks).toEqual(['{"op"', ':"a"}']);
    expect(completion).toMatchObject({ text: '{"op":"a"}', tokens: { prompt: 9, completion: 2 }, cached: false });
    const req = s.seen.find((r) => r.path === "/v1/chat/completions");
    expect(req?.body).toEqual({
      model: "qwen2.5-coder-7b-instruct",
      messages: [{ role: "user", content: "Pick one" }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      top_p: 0.5,
      max_tokens: 32,
      stop: ["END"],
      seed: 11,
      response_format: { type: "json_schema", json_schema: { name: "output", schema, strict: true } },
    });
  });

  it("uses the one served model when none is named; info() and health() read /v1/models", async () => {
    const s = await openai();
    const p = createOpenAiProvider({ baseUrl: `${s.url}/v1`, http: FAST });
    expect(await p.health()).toEqual({ ok: true });
    expect(await p.info()).toMatchObject({ provider: "openai", model: "qwen2.5-coder-7b-instruct", identity: `openai:${s.url}/v1#qwen2.5-coder-7b-instruct` });
    expect((await p.complete("hi")).text).toBe("Hello, world");
    expect(s.seen.find((r) => r.path === "/v1/chat/completions")?.body.model).toBe("qwen2.5-coder-7b-instruct");
  });

  it("a model the server does not serve: health lists what it serves", async () => {
    const s = await openai(["a-model", "b-model"]);
    const named = createOpenAiProvider({ baseUrl: `${s.url}/v1`, model: "llama3", http: FAST });
    expect(await named.health()).toEqual({
      ok: false,
      problem: `model llama3 is not served by the OpenAI-compatible server at ${s.url}/v1 (served: a-model, b-model); load it in the server or pass --model with one of those`,
    });
    const unnamed = createOpenAiProvider({ baseUrl: `${s.url}/v1`, http: FAST });
    const h = await unnamed.health();
    expect(h.ok).toBe(false);
    expect(!h.ok && h.problem).toMatch(/^no model chosen for .*: set model\.name .* \(served: a-model, b-model\)$/);
    // The server's own error words come through on a call.
    await expect(named.complete("hi")).rejects.toThrow(`the OpenAI-compatible server at ${s.url}/v1 answered 404 to POST /v1/chat/completions: The model \`llama3\` does not exist.`);
  });

  it("a server that closes the SSE stream mid-answer is a clear error", async () => {
    const s = await openai();
    s.plan = () => ({ chunks: ["a", "b", "c"], closeAfter: 2 });
    const p = createOpenAiProvider({ baseUrl: `${s.url}/v1`, model: "qwen2.5-coder-7b-instruct", http: FAST });
    const { chunks, error } = await failure(p.stream("hi"));
    expect(chunks).toEqual(["a", "b"]);
    expect(error.message).toMatch(new RegExp(`^the OpenAI-compatible server at ${s.url}/v1 closed the stream after 2 tokens`));
  });

  it("retries a 503, then streams; reports an in-stream error event", async () => {
    const s = await openai();
    s.plan = (n) => (n === 0 ? { status: 503, error: "loading model" } : n === 1 ? { chunks: ["x", "y"] } : { chunks: ["x", "y"], errorAfter: 1 });
    const p = createOpenAiProvider({ baseUrl: `${s.url}/v1`, model: "qwen2.5-coder-7b-instruct", http: FAST });
    expect((await p.complete("hi")).text).toBe("xy");
    await expect(p.complete("hi")).rejects.toThrow("reported an error after 1 tokens: out of memory");
  });

  it("generateJson: valid output gives the value; output off the schema gives ok:false with the reason", async () => {
    const s = await openai();
    const outputs = [['{"op":', ' "b"}'], ['{"op": "c"}'], ["```json\n", '{"op": "a"}', "\n```"], ['{"op": "a"']];
    s.plan = (n) => ({ chunks: outputs[n] ?? [] });
    const p = createOpenAiProvider({ baseUrl: `${s.url}/v1`, model: "qwen2.5-coder-7b-instruct", http: FAST });
    const schema = { type: "object", properties: { op: { enum: ["a", "b"] } }, required: ["op"], additionalProperties: false };
    expect(await generateJson(p, "pick", schema)).toMatchObject({ ok: true, value: { op: "b" } });
    expect(await generateJson(p, "pick", schema)).toMatchObject({ ok: false, reason: 'the output does not match the schema: /op must be one of "a", "b" (got "c")', raw: '{"op": "c"}' });
    expect(await generateJson(p, "pick", schema)).toMatchObject({ ok: true, value: { op: "a" } });
    const cut = await generateJson(p, "pick", schema, { maxTokens: 1 });
    expect(cut.ok).toBe(false);
    expect(!cut.ok && cut.reason).toMatch(/^the output is not valid JSON: .*\(it stopped at maxTokens = 1, probably mid-value\)$/);
  });
});

describe("providers share the interface", () => {
  it("complete() equals the end of stream() for both HTTP providers", async () => {
    const o = await ollama();
    const a = await openai();
    const providers: Provider[] = [createOllamaProvider({ baseUrl: o.url, model: "llama3", http: FAST }), createOpenAiProvider({ baseUrl: `${a.url}/v1`, http: FAST })];
    for (const p of providers) {
      const { completion } = await collectStream(p.stream("hi"));
      const c = await p.complete("hi");
      expect(c.text).toBe(completion.text);
      expect(c.text).toBe("Hello, world");
      await p.close();
    }
  });
});
