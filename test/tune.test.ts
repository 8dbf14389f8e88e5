/**
 * Agent-level cases, prompt and parameter variants, and `evolve tune` end to end on a copy of the
 * bundled storyteller example with the real test model (skipped when the model file is absent).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlamaCppProvider } from "../agent/llm/llama-cpp.js";
import { createResponseCache } from "../agent/llm/cache.js";
import { initWorkspace } from "../workspace/init.js";
import { openWorkspace } from "../workspace/open.js";
import { loadSuite } from "../golden-tests/load.js";
import { agentSuite } from "../golden-tests/agent-cases.js";
import { readAttempts } from "../ledger/index.js";
import { createSandbox } from "../sandbox/pool.js";
import { evaluateAgent } from "../tuning/agent-eval.js";
import { paramVariants, promptVariants, tune, type TuneReport } from "../tuning/tune.js";
import { evolve, fsckClean, git, ROOT, tempDir } from "./helpers.js";

const MODEL = path.resolve(ROOT, "../shared/models/stories260K.gguf");

describe("agent-level case format", () => {
  const files = (yaml: string) => new Map([["golden-tests/a.yaml", yaml]]);

  it("loads agent cases apart from tool cases, with the file's tags and defaults", () => {
    const suite = loadSuite(
      files(`tags: [t]\ncases:\n  - id: tool-one\n    tool: f\n    input: 1\n    assert: [{ type: equals, value: 1 }]\n  - id: agent-one\n    agent: { request: "Hi", context: "ctx" }\n    split: holdout\n    assert: [{ type: contains, value: Lily }]\n`),
    );
    expect(suite.cases.map((c) => c.id)).toEqual(["tool-one"]);
    expect(suite.agentCases).toEqual([
      { id: "agent-one", file: "golden-tests/a.yaml", line: 7, agent: { request: "Hi", context: "ctx" }, assert: [{ type: "contains", negate: false, value: "Lily", line: 10 }], tags: ["t"], weight: 1, mustPass: false, split: "holdout" },
    ]);
    const scoring = agentSuite(suite);
    expect(scoring.hash).toBe(`agent:${suite.hash}`);
    expect(scoring.cases[0]).toMatchObject({ id: "agent-one", tool: "(agent)", args: ["Hi"] });
  });

  it("refuses an agent case that also names a tool, at its line and field", () => {
    expect(() => loadSuite(files(`cases:\n  - id: x\n    agent: { request: "Hi" }\n    tool: f\n    assert: [{ type: equals, value: 1 }]\n`))).toThrow(/golden-tests\/a\.yaml:4:\d+.*tool.*agent-level case/s);
  });

  it("refuses an agent case without a request", () => {
    expect(() => loadSuite(files(`cases:\n  - id: x\n    agent: { context: "c" }\n    assert: [{ type: equals, value: 1 }]\n`))).toThrow(/golden-tests\/a\.yaml:3:.*request/s);
  });

  it("still rejects a duplicate id across agent and tool cases", () => {
    expect(() => loadSuite(files(`cases:\n  - id: x\n    tool: f\n    assert: [{ type: equals, value: 1 }]\n  - id: x\n    agent: { request: "Hi" }\n    assert: [{ type: equals, value: 1 }]\n`))).toThrow(/duplicate case id "x"/);
  });
});

describe("variants", () => {
  it("rewrites prompts: append, prepend, drop and swap sentences, never a sentence with a placeholder", () => {
    const v = promptVariants(new Map([["agent/prompts/system.md", "You are {{agent.name}}. Be brief.\n"], ["agent/tools/x.ts", ""]]));
    const ops = v.map((x) => x.operator);
    expect(ops).toEqual(["append-instruction", "append-instruction", "prepend-instruction", "drop-sentence", "swap-sentences"]);
    const drop = v.find((x) => x.operator === "drop-sentence")!;
    expect(drop.changes.get("agent/prompts/system.md")).toBe("You are {{agent.name}}.\n");
    expect(v.find((x) => x.operator === "swap-sentences")!.changes.get("agent/prompts/system.md")).toBe("Be brief. You are {{agent.name}}.\n");
    expect(v.every((x) => x.action === "prompt-tuning")).toBe(true);
  });

  it("steps one parameter at a time and keeps the other keys", () => {
    const v = paramVariants(new Map([["agent/params.json", `{\n  "temperature": 0,\n  "maxTokens": 64,\n  "seed": 7,\n  "other": 1\n}\n`]]));
    expect(v.map((x) => x.operator)).toEqual(["maxTokens*2", "maxTokens/2", "temperature=0.7", "topP=0.9", "seed+1"]);
    const doubled = JSON.parse(v[0]!.changes.get("agent/params.json")!);
    expect(doubled).toEqual({ temperature: 0, maxTokens: 128, seed: 7, other: 1 });
    expect(v[0]!.description).toBe("agent/params.json: maxTokens 64 -> 128");
  });
});

if (!existsSync(MODEL)) {
  describe.skip("evolve tune with the real model", () => {
    it.skip(`model file not found at ${MODEL} (CI clones the repo beside shared/)`, () => {});
  });
} else {
  describe("evolve tune with the real model", { timeout: 180_000 }, () => {
    const tmp = tempDir("evolve-tune-");
    const root = path.join(tmp.dir, "ws");
    let report: TuneReport;
    let cacheFile: string;

    beforeAll(async () => {
      await initWorkspace(root, { example: "storyteller" });
      cacheFile = path.join(tmp.dir, "responses.jsonl");
      const provider = createLlamaCppProvider({ modelPath: MODEL, threads: 1 });
      const sandbox = createSandbox({ workers: 1 });
      try {
        report = await tune({ root, provider, cache: createResponseCache(cacheFile), sandbox, rounds: 3 });
      } finally {
        await Promise.allSettled([provider.close(), sandbox.destroy()]);
      }
    }, 180_000);
    afterAll(() => tmp.cleanup());

    it("raises the agent-level score with one significant parameter step, then stops", () => {
      expect(report.initialScore).toBe(0);
      expect(report.finalScore).toBe(1);
      expect(report.generations).toHaveLength(1);
      expect(report.generations[0]).toMatchObject({ generation: 1, tag: "gen-1", action: "parameter-adjustment", operator: "maxTokens*2", parentScore: 0, score: 1 });
      expect(report.stopReason).toMatch(/^round 2: no variant improved significantly/);
      expect(JSON.parse(readFileSync(path.join(root, "agent/params.json"), "utf8")).maxTokens).toBe(48);
    });

    it("records the A/B figures in the commit's trailers, readable by native git", () => {
      const ab = JSON.parse(git(root, "log", "-1", "--format=%(trailers:key=Evolve-AB,valueonly)", "gen-1").trim());
      expect(ab).toEqual({ wins: 8, losses: 0, ties: 0, p: 0.007813, wilcoxonP: 0.007813 });
      const trailers = git(root, "log", "-1", "--format=%(trailers:only,unfold)", "gen-1");
      expect(trailers).toMatch(/^Evolve-Action: parameter-adjustment$/m);
      expect(trailers).toMatch(/^Evolve-Score: 1$/m);
      expect(trailers).toMatch(/^Evolve-Parent-Score: 0$/m);
      expect(trailers).toMatch(/^Evolve-Model: gguf-sha256:[0-9a-f]{64}$/m);
      expect(trailers).toMatch(/^Evolve-Suite-Hash: agent:sha256:[0-9a-f]{64}$/m);
      expect(git(root, "rev-parse", "gen-1^{commit}").trim()).toBe(report.generations[0]!.commit);
      // Retention rewrites the attempts notes ref: the old notes commit is garbage for git gc, nothing else.
      fsckClean(root);
    });

    it("keeps the rejected variants as attempts with their A/B table", async () => {
      const attempts = await readAttempts(root);
      expect(attempts.length).toBe(report.rejected);
      const halved = attempts.find((a) => a.generation === 2 && a.operator === "maxTokens/2");
      expect(halved?.reason).toMatch(/^no improvement: 0 wins, 8 losses, 0 ties/);
      expect(halved?.metrics.ab).toEqual({ wins: 0, losses: 8, ties: 0, p: 0.007813, wilcoxonP: 0.007813 });
      expect(attempts.some((a) => a.operator === "append-instruction" && a.diff.includes("+Answer in one short sentence."))).toBe(true);
    });

    it("re-evaluating the unchanged tip is answered from the response cache (no model call)", async () => {
      const ws = await openWorkspace(root);
      const cache = createResponseCache(cacheFile); // reloaded from its file: survives the process
      const provider = createLlamaCppProvider({ modelPath: MODEL, threads: 1 });
      const sandbox = createSandbox({ workers: 1 });
      try {
        const e = await evaluateAgent({ files: ws.files, config: ws.config, suite: ws.suite, provider, cache, sandbox });
        expect(e.score).toBe(1);
        expect(e.cacheHits).toBe(8);
        expect(e.cacheMisses).toBe(0);
        expect(e.runs.every((r) => r.tokens.completion > 20 && r.answer !== null)).toBe(true);
      } finally {
        await Promise.allSettled([provider.close(), sandbox.destroy()]);
      }
    });

    it("`evolve tune --json` on the tuned workspace finds nothing to accept and costs no model time", () => {
      // The CLI keeps its cache under .git/evolve/ (ignored by git); seed it with this run's answers.
      mkdirSync(path.join(root, ".git", "evolve"), { recursive: true });
      copyFileSync(cacheFile, path.join(root, ".git", "evolve", "response-cache.jsonl"));
      const r = evolve(["tune", "--workspace", root, "--model", MODEL, "--rounds", "1", "--json"], tmp.dir);
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.generations).toEqual([]);
      expect(out.initialScore).toBe(1);
      expect(out.stopReason).toMatch(/^round 1: no variant improved significantly/);
      expect(out.cache.misses).toBe(0);
      expect(out.cache.hits).toBeGreaterThanOrEqual(8 * 10);
      expect(r.stderr).toMatch(/response cache: \d+ hit\(s\), 0 miss\(es\)/);
      expect(git(root, "status", "--porcelain").trim()).toBe("");
    });
  });
}
