/**
 * `evolve run --proposer llm`: a model's edit operations go through the same gates, sandbox, judge and
 * ledger as the built-in operators; unusable answers are kept as attempts with their reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT, evolveJson, git, gitStatus, tempDir, evolveAsync } from "./helpers.js";
import { fakeOllama } from "./llm-fake-servers.js";
import type { FakeServer } from "./llm-fake-servers.js";

const MODEL = path.resolve(ROOT, "../shared/models/stories260K.gguf");


const TEXT = "agent/tools/text.ts";

describe("evolve run --proposer llm against a local Ollama-compatible server", () => {
  const tmp = tempDir();
  const ws = path.join(tmp.dir, "textkit");
  let server: FakeServer;

  beforeAll(async () => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    server = await fakeOllama();
    const repair = JSON.stringify({ ops: [{ op: "replace-statements", file: TEXT, function: "truncate", index: 1, count: 1, code: "const cut = text.slice(0, max - 1).trimEnd();" }] });
    const invented = JSON.stringify({ ops: [{ op: "replace-function-body", file: TEXT, function: "nope", body: "return 1;" }] });
    server.plan = (n) => ({ chunks: [n === 0 ? repair : invented] });
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  it("commits the model's repair as a generation and keeps the answer that invents a function (outside the schema enums) as an attempt", async () => {
    const r = await evolveAsync(["run", "-w", ws, "--proposer", "llm", "--provider", "ollama", "--model", "llama3", "--base-url", server.url, "--generations", "1", "--candidates", "2", "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.generations).toHaveLength(1);
    expect(out.generations[0].fixed).toEqual(expect.arrayContaining(["truncate-long", "truncate-fits-limit"]));
    const trailer = (key: string) => git(ws, "log", "-1", `--format=%(trailers:key=${key},valueonly)`);
    expect(trailer("Evolve-Proposer")).toBe("llm");
    expect(trailer("Evolve-Operator")).toBe("llm-edit");
    expect(trailer("Evolve-Model")).toMatch(/llama3/);
    expect(trailer("Evolve-Action")).toBe("code-modification");
    expect(git(ws, "show", `HEAD:${TEXT}`)).toContain("text.slice(0, max - 1)");
    const attempts = JSON.parse(git(ws, "notes", "--ref=evolve-attempts", "show", "gen-0^{commit}")).attempts as Array<{ proposer: string; reason: string }>;
    expect(attempts.filter((a) => a.proposer === "llm").map((a) => a.reason).join("\n")).toMatch(/^proposal: the output does not match/m);
    // Both generation requests asked for schema-constrained output.
    const generations = server.seen.filter((s) => s.path === "/api/chat" || s.path === "/api/generate");
    expect(generations).toHaveLength(2);
    for (const g of generations) expect(g.body.format).toMatchObject({ type: "object" });
    expect(gitStatus(ws, "fsck", "--strict").status).toBe(0);
  });
});

describe.skipIf(!existsSync(MODEL))(`evolve run --proposer llm with the real model (${existsSync(MODEL) ? "present" : `model file not found at ${MODEL}`})`, () => {
  const tmp = tempDir();
  const ws = path.join(tmp.dir, "textkit");
  afterAll(() => tmp.cleanup());

  it("completes a round: the tiny model's nonsense is applied-and-judged or refused with a reason, never half-applied", async () => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    const head = git(ws, "rev-parse", "HEAD");
    const r = await evolveAsync(["run", "-w", ws, "--proposer", "llm", "--provider", "node-llama-cpp", "--model", MODEL, "--generations", "1", "--candidates", "1", "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rounds).toBe(1);
    const attempts = JSON.parse(git(ws, "notes", "--ref=evolve-attempts", "show", `${head}`)).attempts as Array<{ proposer: string; reason: string }>;
    const fromModel = attempts.filter((a) => a.proposer === "llm");
    expect(fromModel.length + out.generations.length).toBeGreaterThan(0);
    for (const a of fromModel) expect(a.reason).toMatch(/^(proposal: |rejected: |type-check: |build: |refused: )/);
    expect(git(ws, "status", "--porcelain")).toBe("");
    expect(gitStatus(ws, "fsck", "--strict").status).toBe(0);
  }, 180_000);

  it("evolve run --model on the storyteller example improves its agent-level cases by parameter search or prompt tuning", async () => {
    const story = path.join(tmp.dir, "storyteller");
    evolveJson(["init", story, "--example", "storyteller"], tmp.dir);
    const r = await evolveAsync(["run", "-w", story, "--model", MODEL, "--json"], tmp.dir);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tune.finalScore).toBeGreaterThan(out.tune.initialScore);
    expect(out.tune.generations.length).toBeGreaterThanOrEqual(1);
    const g = out.tune.generations[0];
    expect(["parameter-adjustment", "prompt-tuning"]).toContain(git(story, "log", "-1", "--format=%(trailers:key=Evolve-Action,valueonly)", g.commit));
    const ab = JSON.parse(git(story, "log", "-1", "--format=%(trailers:key=Evolve-AB,valueonly)", g.commit));
    expect(ab.p).toBeLessThanOrEqual(0.05);
    expect(ab.wins).toBeGreaterThan(ab.losses);
    expect(git(story, "rev-parse", `${g.tag}^{commit}`)).toBe(g.commit);
    expect(gitStatus(story, "fsck", "--strict").status).toBe(0);
  }, 240_000);
});
