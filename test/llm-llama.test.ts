/**
 * The in-process provider against the real test model (stories260K.gguf, 1.1 MiB). The model writes
 * children's stories, so these tests check plumbing, determinism and grammar conformance, never the
 * meaning of an answer.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cached, createResponseCache } from "../agent/llm/cache.js";
import { createLlamaCppProvider } from "../agent/llm/llama-cpp.js";
import { LlmError, type Provider } from "../agent/llm/provider.js";
import { generateJson } from "../agent/llm/structured.js";
import { doctor } from "../agent/llm/doctor.js";
import { ROOT, collectStream } from "./helpers.js";

const MODEL = path.resolve(ROOT, "../shared/models/stories260K.gguf");
const present = existsSync(MODEL);
const settings = { modelPath: MODEL, threads: 1, contextSize: 512 };


describe("node-llama-cpp provider: bad settings", () => {
  it("health() and info() name a missing model file", async () => {
    const missing = path.join(ROOT, "no-such-dir", "missing.gguf");
    const p = createLlamaCppProvider({ modelPath: missing });
    expect(await p.health()).toEqual({ ok: false, problem: `model file ${missing} does not exist` });
    const err = await p.info().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    // A path that names no file is a setting to fix: refused (exit 2), not a model that failed.
    expect((err as LlmError).kind).toBe("config");
    expect((err as LlmError).code).toBe("model-config");
    expect((err as Error).message).toContain(missing);
    const report = await doctor({ provider: "node-llama-cpp", model: missing });
    expect(report.ok).toBe(false);
    expect(report.lines).toContain(`problem: model file ${missing} does not exist`);
  });
});

if (!present) {
  describe.skip(`node-llama-cpp provider with the real model`, () => {
    it.skip(`model file not found at ${MODEL} (CI clones the repo beside shared/)`, () => {});
  });
} else {
  // Loading the native binding takes seconds on a busy CI machine; generations themselves are fast.
  describe("node-llama-cpp provider with the real model", { timeout: 30_000 }, () => {
    let p: Provider;
    beforeAll(() => {
      p = createLlamaCppProvider(settings);
    });
    afterAll(async () => {
      await p.close();
    });

    it("loads, and its identity is the sha256 of the GGUF file", async () => {
      expect(await p.health()).toEqual({ ok: true });
      const info = await p.info();
      const sha = createHash("sha256").update(readFileSync(MODEL)).digest("hex");
      expect(info.identity).toBe(`gguf-sha256:${sha}`);
      expect(info.provider).toBe("node-llama-cpp");
      expect(info.contextSize).toBe(512);
      expect(info.details).toMatchObject({ architecture: "llama", trainContextSize: 2048, threads: 1 });
    });

    it("streams chunks whose concatenation is the completion text", async () => {
      const { chunks, completion } = await collectStream(p.stream("Once upon a time", { temperature: 0, maxTokens: 24 }));
      expect(chunks.length).toBeGreaterThan(3);
      expect(chunks.join("")).toBe(completion.text);
      expect(completion.text.length).toBeGreaterThan(10);
      expect(completion.tokens.prompt).toBeGreaterThan(0);
      expect(completion.tokens.completion).toBe(24);
      expect(completion.firstTokenMs).not.toBeNull();
      expect(completion.cached).toBe(false);
    });

    it("temperature 0 is deterministic, also across a fresh provider instance", async () => {
      const a = await p.complete("The little dog", { temperature: 0, maxTokens: 30 });
      const b = await p.complete("The little dog", { temperature: 0, maxTokens: 30 });
      const fresh = createLlamaCppProvider(settings);
      const c = await fresh.complete("The little dog", { temperature: 0, maxTokens: 30 });
      await fresh.close();
      expect(b.text).toBe(a.text);
      expect(c.text).toBe(a.text);
    });

    it("a fixed seed is deterministic at temperature > 0; another seed samples differently", async () => {
      const opts = { temperature: 0.9, maxTokens: 30 };
      const a = await p.complete("Once upon a time", { ...opts, seed: 42 });
      const b = await p.complete("Once upon a time", { ...opts, seed: 42 });
      const fresh = createLlamaCppProvider(settings);
      const c = await fresh.complete("Once upon a time", { ...opts, seed: 42 });
      await fresh.close();
      const other = await p.complete("Once upon a time", { ...opts, seed: 43 });
      expect(b.text).toBe(a.text);
      expect(c.text).toBe(a.text);
      expect(other.text).not.toBe(a.text);
    });

    it("maxTokens bounds the completion", async () => {
      for (const maxTokens of [1, 5]) {
        const c = await p.complete("Once upon a time", { temperature: 0, maxTokens });
        expect(c.tokens.completion).toBeLessThanOrEqual(maxTokens);
        expect(c.tokens.completion).toBeGreaterThan(0);
      }
    });

    it("stop strings end the text before them", async () => {
      const full = await p.complete("Once upon a time", { temperature: 0, maxTokens: 40 });
      expect(full.text).toContain("Lily");
      const cut = await p.complete("Once upon a time", { temperature: 0, maxTokens: 40, stop: ["Lily"] });
      expect(cut.text).not.toContain("Lily");
      expect(full.text.startsWith(cut.text)).toBe(true);
      // The model's token is " Lily", so the space before the stop string goes with it.
      expect(cut.text.trimEnd()).toBe(full.text.slice(0, full.text.indexOf("Lily")).trimEnd());
    });

    it("schema-constrained JSON always validates (3 schemas, several prompts and seeds)", async () => {
      const edit = {
        type: "object",
        properties: {
          operator: { enum: ["replace-literal", "swap-operator", "negate-condition", "delete-statement"] },
          file: { type: "string", maxLength: 24 },
          line: { type: "integer" },
          confidence: { enum: ["low", "medium", "high"] },
        },
        required: ["operator", "file", "line", "confidence"],
        additionalProperties: false,
      };
      const person = {
        type: "object",
        properties: { name: { type: "string", maxLength: 16 }, age: { type: "integer" }, happy: { type: "boolean" } },
        required: ["name", "age", "happy"],
        additionalProperties: false,
      };
      const list = { type: "array", items: { enum: ["red", "green", "blue"] }, minItems: 1, maxItems: 4 };
      const runs: Array<[object, string, number]> = [];
      for (const schema of [edit, person, list]) {
        for (const [prompt, seed] of [["Edit:", 1], ["Once upon a time", 2], ["The answer is", 3]] as const) runs.push([schema, prompt, seed]);
      }
      for (const [schema, prompt, seed] of runs) {
        const r = await generateJson<unknown>(p, prompt, schema, { temperature: 0.8, seed, maxTokens: 200 });
        if (!r.ok) throw new Error(`${prompt}/${seed}: ${r.reason}\n${r.raw}`);
        if (schema === edit) {
          const v = r.value as { operator: string; confidence: string; line: number };
          expect(edit.properties.operator.enum).toContain(v.operator);
          expect(edit.properties.confidence.enum).toContain(v.confidence);
          expect(Number.isInteger(v.line)).toBe(true);
        }
        if (schema === list) expect(Array.isArray(r.value)).toBe(true);
      }
    });

    it("generateJson catches what the grammar cannot enforce (a pattern) with ajv", async () => {
      const schema = { type: "object", properties: { code: { type: "string", maxLength: 12, pattern: "^[0-9]{6}$" } }, required: ["code"] };
      const r = await generateJson(p, "The code is", schema, { temperature: 0, maxTokens: 60 });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toMatch(/^the output does not match the schema: \/code must match pattern "\^\[0-9\]\{6\}\$" \(got ".*"\)$/);
        expect(JSON.parse(r.raw)).toHaveProperty("code");
      }
    });

    it("generateJson refuses output cut off by maxTokens instead of returning half a value", async () => {
      const schema = { type: "object", properties: { story: { type: "string" } }, required: ["story"] };
      const r = await generateJson(p, "Once upon a time", schema, { temperature: 0, maxTokens: 6 });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toMatch(/not valid JSON.*maxTokens = 6/);
        expect(r.raw.startsWith("{")).toBe(true);
      }
    });

    it("chat messages go through the model's chat wrapper", async () => {
      const messages = [
        { role: "system", content: "You tell stories." },
        { role: "user", content: "Tell me about a cat." },
      ] as const;
      const a = await p.complete(messages, { temperature: 0, maxTokens: 12 });
      const b = await p.complete(messages, { temperature: 0, maxTokens: 12 });
      expect(a.text.length).toBeGreaterThan(0);
      expect(b.text).toBe(a.text);
      expect(a.tokens.prompt).toBeGreaterThan(10); // the template's markup is part of the prompt
    });

    it("a consumer that stops early frees the sequence for the next call", async () => {
      for await (const chunk of p.stream("Once upon a time", { temperature: 0, maxTokens: 200 })) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
      const next = await p.complete("Once upon a time", { temperature: 0, maxTokens: 5 });
      expect(next.tokens.completion).toBe(5);
    });

    it("timeoutMs stops a generation with a clear error", async () => {
      const err = await p.complete("Once upon a time", { temperature: 0, maxTokens: 400, timeoutMs: 2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmError);
      expect((err as LlmError).kind).toBe("timeout");
      expect((err as Error).message).toMatch(/did not finish within 2 ms/);
      const after = await p.complete("Once upon a time", { temperature: 0, maxTokens: 3 });
      expect(after.tokens.completion).toBe(3);
    });

    it("the response cache answers a repeated deterministic call without the model", async () => {
      const cache = createResponseCache();
      const c = cached(p, cache);
      const first = await c.complete("A big tree", { temperature: 0, maxTokens: 10 });
      const chunks: string[] = [];
      const gen = c.stream("A big tree", { temperature: 0, maxTokens: 10 });
      let step = await gen.next();
      while (!step.done) {
        chunks.push(step.value);
        step = await gen.next();
      }
      expect(first.cached).toBe(false);
      expect(step.value.cached).toBe(true);
      expect(step.value.text).toBe(first.text);
      expect(chunks.join("")).toBe(first.text);
      expect(cache.stats).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    });

    it("doctor reports the model ready with its identity", async () => {
      const report = await doctor({ provider: "node-llama-cpp", model: MODEL, threads: 1, contextSize: 512 });
      expect(report.ok).toBe(true);
      expect(report.lines.at(-1)).toMatch(/^ok: .*stories260K\.gguf is ready \(identity gguf-sha256:[0-9a-f]{64}, context 512 tokens\)$/);
    });
  });
}
