/** `evolve ask --snap DIR`: a snapshot of another TypeScript project goes into the system prompt. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { evolveJson, tempDir, evolveAsync } from "./helpers.js";
import { fakeOllama } from "./llm-fake-servers.js";
import type { FakeServer } from "./llm-fake-servers.js";


describe("evolve ask --snap", () => {
  const tmp = tempDir();
  const ws = path.join(tmp.dir, "textkit");
  const target = path.join(tmp.dir, "target");
  let server: FakeServer;

  beforeAll(async () => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    mkdirSync(path.join(target, "src"), { recursive: true });
    writeFileSync(path.join(target, "src", "billing.ts"), "/** Total of an invoice in cents. */\nexport function invoiceTotalCents(lines: number[]): number {\n  return lines.reduce((a, b) => a + b, 0);\n}\n");
    server = await fakeOllama();
    server.plan = () => ({ chunks: [JSON.stringify({ action: "answer", text: "done" })] });
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  it("puts the target project's exported signatures into the system prompt", async () => {
    const r = await evolveAsync(["ask", "what does billing do?", "-w", ws, "--provider", "ollama", "--model", "llama3", "--base-url", server.url, "--snap", target, "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).answer).toBe("done");
    const sent = server.seen.filter((s) => s.path === "/api/chat" || s.path === "/api/generate").map((s) => JSON.stringify(s.body));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]).toContain("invoiceTotalCents");
  });

  it("without --snap, the target is not mentioned", async () => {
    const before = server.seen.length;
    const r = await evolveAsync(["ask", "what does billing do?", "-w", ws, "--provider", "ollama", "--model", "llama3", "--base-url", server.url, "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(0);
    const sent = server.seen.slice(before).map((s) => JSON.stringify(s.body)).join("\n");
    expect(sent).not.toContain("invoiceTotalCents");
  });
});
