/**
 * The model side of evolve, with the real stories260K.gguf (skipped with a message when the file is
 * absent): tokens per second and time to first token, the response cache's hit rate over repeated
 * agent evaluations (what `evolve tune` does every round), and model time vs pipeline time per
 * candidate in `evolve run --proposer llm`.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { packageRoot } from "../kernel/package-root.js";
import { initWorkspace } from "../workspace/init.js";
import { openWorkspace } from "../workspace/open.js";
import { createLlamaCppProvider, createResponseCache } from "../agent/llm/index.js";
import { createSandbox } from "../sandbox/pool.js";
import { evaluateAgent } from "../tuning/agent-eval.js";
import { runEvolution } from "../evolution/controller.js";

export interface LlmBenchResult {
  model: string;
  tokensPerSecond: number;
  firstTokenMs: number;
  completions: number;
  cache: { firstPass: { hits: number; misses: number }; secondPass: { hits: number; misses: number }; hitRate: number };
  perCandidate: { modelMs: number; pipelineMs: number | null; candidates: number; rounds: number };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export function modelPath(): string {
  return path.resolve(packageRoot(), "../shared/models/stories260K.gguf");
}

export async function llmBench(say: (line: string) => void): Promise<LlmBenchResult | null> {
  const file = modelPath();
  if (!existsSync(file)) {
    say(`llm bench skipped: model file not found at ${file}`);
    return null;
  }
  // 1. Raw generation speed, threads: 1 (the fast setting on this 2-core machine, STACK.md).
  const provider = createLlamaCppProvider({ modelPath: file, threads: 1, contextSize: 512 });
  const identity = (await provider.info()).identity;
  await provider.complete("Once upon a time", { maxTokens: 8, temperature: 0 });
  const prompts = ["Once upon a time", "The little dog", "One day, Lily", "Tom and his friend", "In the park"];
  const rates: number[] = [];
  const firsts: number[] = [];
  for (const p of prompts) {
    const c = await provider.complete(p, { maxTokens: 200, temperature: 0 });
    rates.push((c.tokens.completion / c.ms) * 1000);
    if (c.firstTokenMs !== null) firsts.push(c.firstTokenMs);
  }
  await provider.close();
  say(`  generation: ${round(median(rates))} tokens/s, first token ${round(median(firsts))} ms (median of ${prompts.length} completions of up to 200 tokens)`);

  // 2. Response cache over two evaluations of the same agent cases: the second is what a later
  // tune round pays for re-measuring an unchanged tip.
  const tmp = mkdtempSync(path.join(os.tmpdir(), "evolve-llm-bench-"));
  try {
    const story = await initWorkspace(path.join(tmp, "storyteller"), { example: "storyteller" });
    const ws = await openWorkspace(story.dir);
    const sandbox = createSandbox({ workers: 1 });
    const cachedProvider = createLlamaCppProvider({ modelPath: file, threads: 1 });
    const cache = createResponseCache();
    const pass = async () => {
      const before = { ...cache.stats };
      await evaluateAgent({ files: ws.files, config: ws.config, suite: ws.suite, provider: cachedProvider, cache, sandbox });
      return { hits: cache.stats.hits - before.hits, misses: cache.stats.misses - before.misses };
    };
    const firstPass = await pass();
    const secondPass = await pass();
    await sandbox.destroy();
    await cachedProvider.close();
    const total = firstPass.hits + firstPass.misses + secondPass.hits + secondPass.misses;
    const hitRate = total === 0 ? 0 : (firstPass.hits + secondPass.hits) / total;
    say(`  response cache: first pass ${firstPass.hits} hits / ${firstPass.misses} misses, second pass ${secondPass.hits} / ${secondPass.misses}: hit rate ${round(hitRate * 100, 1)}% over both`);

    // 3. Model time vs pipeline time per candidate in `evolve run --proposer llm`.
    const kit = await initWorkspace(path.join(tmp, "textkit"), { example: "textkit" });
    const s = await runEvolution({ dir: kit.dir, proposer: "llm", model: { provider: "node-llama-cpp", model: file, threads: 1 }, generations: 2, candidatesPerGeneration: 4 });
    const candidates = s.candidates.evaluated + s.candidates.fromCache + Object.values(s.candidates.refused).reduce((a, b) => a + b, 0);
    const proposals = s.rounds * 4;
    const modelMs = s.stages.propose / proposals;
    // Pipeline time only means something for candidates that went through it.
    const pipelineMs = candidates === 0 ? null : (s.stages.typecheck + s.stages.build + s.stages.evaluate + s.stages.commit) / candidates;
    say(`  evolve run --proposer llm: ${proposals} model answers in ${s.rounds} rounds, ${candidates} usable (${s.candidates.evaluated} evaluated in the sandbox); model ${round(modelMs)} ms per answer vs pipeline ${pipelineMs === null ? "n/a" : `${round(pipelineMs)} ms`} per candidate`);
    return {
      model: identity,
      tokensPerSecond: round(median(rates)),
      firstTokenMs: round(median(firsts)),
      completions: prompts.length,
      cache: { firstPass, secondPass, hitRate: round(hitRate, 3) },
      perCandidate: { modelMs: round(modelMs), pipelineMs: pipelineMs === null ? null : round(pipelineMs), candidates, rounds: s.rounds },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
