/**
 * `evolve doctor`: for each way a model set-up goes wrong it names the problem and exits 1; a working
 * one exits 0. Real processes, a real HTTP server speaking Ollama's API, a closed port, a missing file.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, fakeOllama, type FakeServer } from "./llm-fake-servers.js";
import { ROOT, evolve, evolveAsync, git, tempDir } from "./helpers.js";

const MODEL = path.resolve(ROOT, "../shared/models/stories260K.gguf");


describe("evolve doctor", { timeout: 60_000 }, () => {
  let fake: FakeServer;
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    fake = await fakeOllama();
    tmp = tempDir();
  });
  afterAll(async () => {
    await fake.close();
    tmp.cleanup();
  });

  it("names a missing model file", async () => {
    const missing = path.join(tmp.dir, "nowhere", "model.gguf");
    const r = await evolveAsync(["doctor", "--provider", "node-llama-cpp", "--model", missing], tmp.dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`problem: model file ${missing} does not exist`);
  });

  it("says the server is down (a closed port)", async () => {
    const port = await closedPort();
    const r = await evolveAsync(["doctor", "--provider", "ollama", "--model", "llama3", "--base-url", `http://127.0.0.1:${port}`], tmp.dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`problem: cannot connect to Ollama at http://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });

  it("says a model is not pulled, and lists the ones that are", async () => {
    const r = await evolveAsync(["doctor", "--provider", "ollama", "--model", "mistral", "--base-url", fake.url, "--json"], tmp.dir);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.lines).toContain("problem: model mistral is not pulled: run `ollama pull mistral`");
    expect(j.lines).toContain("models: llama3:latest, qwen2.5-coder:7b");
  });

  it("is OK for a pulled model named in the workspace config, and the flags override it", async () => {
    const dir = path.join(tmp.dir, "ws");
    expect(evolve(["init", dir, "--example", "textkit"], tmp.dir).status).toBe(0);
    const cfg = path.join(dir, "evolve.config.yaml");
    const { readFileSync } = await import("node:fs");
    writeFileSync(cfg, readFileSync(cfg, "utf8").replace("provider: none", `provider: ollama\n  name: llama3\n  baseUrl: ${fake.url}\n  retries: 0`));
    git(dir, "commit", "-qam", "use ollama");
    const ok = await evolveAsync(["doctor"], dir);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`config: ${cfg}`);
    expect(ok.stdout).toMatch(/ok: llama3:latest is ready \(identity ollama:llama3:latest@365c0bd3/);
    const flagged = await evolveAsync(["doctor", "--model", "phi3"], dir);
    expect(flagged.status).toBe(1);
    expect(flagged.stdout).toContain("problem: model phi3 is not pulled");
  });

  it("refuses an unknown provider as bad input (exit 2)", async () => {
    const r = await evolveAsync(["doctor", "--provider", "gpt"], tmp.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--provider: unknown provider "gpt"');
  });

  it.skipIf(!existsSync(MODEL))("is OK for the real GGUF model", async () => {
    const r = await evolveAsync(["doctor", "--provider", "node-llama-cpp", "--model", MODEL], tmp.dir);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok: .*stories260K\.gguf is ready \(identity gguf-sha256:[0-9a-f]{64}, context \d+ tokens\)/);
  });
});
