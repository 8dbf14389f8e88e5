/**
 * `evolve serve` and `evolve watch`, measured:
 *
 * - Server overhead per request: the same request answered through the server on loopback (HTTP,
 *   JSON, routing, the interaction recorded) and answered in process by the same agent and recorder,
 *   interleaved; the overhead is the per-pair difference of wall times (median and p95), whole and
 *   streamed. The model is an in-process stand-in that answers at once, so its time does not drown
 *   the server's: what remains is what the server adds on top of the model's own time.
 * - Requests per second on that trivial agent, 4 clients at once (serve.maxConcurrent), recorded.
 * - Under watch: from a committed golden-test change to the committed repair, against the same
 *   repair by runEvolution called directly on an identical workspace in the same run (the baseline).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { quantileSorted } from "../kernel/statistics.js";
import type { Completion, Provider } from "../agent/llm/provider.js";
import { createRecorder } from "../agent/runtime/recorder.js";
import { createSandbox } from "../sandbox/pool.js";
import { initWorkspace } from "../workspace/init.js";
import { openWorkspaceStore } from "../workspace/interactions.js";
import { openGenerationSource } from "../serve/generations.js";
import { startServer } from "../serve/server.js";
import { runEvolution } from "../evolution/controller.js";
import { startWatcher } from "../watch/watcher.js";

export interface ServeBenchResult {
  requests: number;
  /** ms the server adds per request over answering in process: median and p95 of paired differences. */
  overheadMs: { whole: { median: number; p95: number }; streamed: { median: number; p95: number } };
  /**
   * The same difference in this process's CPU time (client and server both run here, so the HTTP
   * client's own work is included): unlike wall time, not inflated by other processes' load.
   */
  cpuOverheadMs: { whole: { median: number; p95: number }; streamed: { median: number; p95: number } };
  /** Median wall time of one request answered in process (the baseline the overhead is over). */
  inProcessMs: number;
  requestsPerSecond: number;
  watch: { changeToRepairMs: number; directRunMs: number; ratio: number; generation: number | null };
  loadAverage: [number, number];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const q = (xs: readonly number[], p: number) => quantileSorted([...xs].sort((a, b) => a - b), p);

/** A model stand-in that answers at once, in a few chunks. */
function instantProvider(): Provider {
  const text = JSON.stringify({ action: "answer", text: "Notes are listed by title." });
  async function* stream(): AsyncGenerator<string, Completion> {
    for (let i = 0; i < text.length; i += 16) yield text.slice(i, i + 16);
    return { text, tokens: { prompt: 200, completion: 12 }, ms: 0.1, firstTokenMs: 0.05, cached: false };
  }
  return {
    name: "openai",
    info: async () => ({ provider: "bench", model: "instant", identity: "bench:instant" }),
    health: async () => ({ ok: true }),
    stream,
    complete: async () => ({ text, tokens: { prompt: 200, completion: 12 }, ms: 0.1, firstTokenMs: 0.05, cached: false }),
    close: async () => {},
  };
}

async function serverBench(root: string, requests: number, say: (s: string) => void): Promise<Omit<ServeBenchResult, "watch" | "loadAverage">> {
  const generations = await openGenerationSource(root, { reloadMs: 0 });
  const g = generations.current();
  const store = (await openWorkspaceStore(root, { create: true }))!;
  const sandbox = createSandbox({ workers: 1 });
  const provider = instantProvider();
  const model = { provider: "bench", name: "instant" };
  const server = await startServer({ generations, provider, sandbox, store, model, identity: async () => "bench:instant", log: () => {}, token: null, maxRequestBytes: 1 << 20, maxConcurrent: 4 }, "127.0.0.1", 0);
  const url = `${server.url}/v1/chat/completions`;
  const body = (i: number, stream: boolean) => JSON.stringify({ model: "x", stream, messages: [{ role: "user", content: `Which notes mention request ${i}?` }] });
  const viaHttp = async (i: number, stream: boolean) => {
    const res = await fetch(url, { method: "POST", body: body(i, stream), headers: { "content-type": "application/json" } });
    await res.text();
    if (res.status !== 200) throw new Error(`bench: status ${res.status}`);
  };
  const inProcess = (i: number) => {
    const recorder = createRecorder({ store, source: "serve", session: null, commit: g.commit, generation: g.generation, model: { ...model, params: {} }, identity: async () => "bench:instant" });
    return recorder.run({ agent: g.agent, provider, sandbox, request: `Which notes mention request ${i}?` });
  };
  try {
    for (let i = 0; i < 30; i++) {
      await viaHttp(i, false);
      await viaHttp(i, true);
      await inProcess(i);
    }
    const whole: number[] = [];
    const streamed: number[] = [];
    const direct: number[] = [];
    const cpu = { whole: [] as number[], streamed: [] as number[] };
    const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
    for (let i = 0; i < requests; i++) {
      let c = process.cpuUsage();
      let t = performance.now();
      await inProcess(i);
      const d = performance.now() - t;
      const dc = cpuMs(process.cpuUsage(c));
      direct.push(d);
      c = process.cpuUsage();
      t = performance.now();
      await viaHttp(i, false);
      whole.push(performance.now() - t - d);
      cpu.whole.push(cpuMs(process.cpuUsage(c)) - dc);
      c = process.cpuUsage();
      t = performance.now();
      await viaHttp(i, true);
      streamed.push(performance.now() - t - d);
      cpu.streamed.push(cpuMs(process.cpuUsage(c)) - dc);
    }
    const t0 = performance.now();
    let next = 0;
    const client = async () => {
      while (next < requests) await viaHttp(next++, false);
    };
    await Promise.all([client(), client(), client(), client()]);
    const rps = requests / ((performance.now() - t0) / 1000);
    const out = {
      requests,
      overheadMs: { whole: { median: round(q(whole, 0.5)), p95: round(q(whole, 0.95)) }, streamed: { median: round(q(streamed, 0.5)), p95: round(q(streamed, 0.95)) } },
      cpuOverheadMs: { whole: { median: round(q(cpu.whole, 0.5)), p95: round(q(cpu.whole, 0.95)) }, streamed: { median: round(q(cpu.streamed, 0.5)), p95: round(q(cpu.streamed, 0.95)) } },
      inProcessMs: round(q(direct, 0.5)),
      requestsPerSecond: Math.round(rps),
    };
    say(`  server overhead per request over the model's own time: whole median ${out.overheadMs.whole.median} ms, p95 ${out.overheadMs.whole.p95} ms; streamed median ${out.overheadMs.streamed.median} ms, p95 ${out.overheadMs.streamed.p95} ms (in process: ${out.inProcessMs} ms per request)`);
    say(`  the same in CPU time of this process (client included, load-independent): whole median ${out.cpuOverheadMs.whole.median} ms, p95 ${out.cpuOverheadMs.whole.p95} ms; streamed median ${out.cpuOverheadMs.streamed.median} ms, p95 ${out.cpuOverheadMs.streamed.p95} ms`);
    say(`  ${out.requestsPerSecond} requests/s on a trivial agent, 4 clients, every request recorded`);
    return out;
  } finally {
    await server.close();
    await sandbox.destroy();
    store.close();
    generations.stop();
  }
}

/** One round of candidates: enough to repair the first seeded defect of textkit. */
function oneRound(config: string): string {
  return config.replace(/^evolution:[\s\S]*?\n\n/m, "evolution:\n  generations: 1\n  candidatesPerGeneration: 16\n  budget: 16\n\n") + "\nwatch:\n  debounceMs: 100\n";
}

async function watchBench(dir: string, say: (s: string) => void): Promise<ServeBenchResult["watch"]> {
  const git = (ws: string, ...args: string[]) => execFileSync("git", ["-C", ws, ...args], { encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@example.com", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@example.com" } });
  const prepare = async (name: string): Promise<string> => {
    const { dir: ws } = await initWorkspace(path.join(dir, name), { example: "textkit" });
    const file = path.join(ws, "evolve.config.yaml");
    writeFileSync(file, oneRound(readFileSync(file, "utf8")));
    git(ws, "commit", "-qam", "one round per cycle");
    return ws;
  };
  const change = (ws: string) => {
    const suite = path.join(ws, "golden-tests", "text.yaml");
    writeFileSync(suite, `${readFileSync(suite, "utf8")}\n# reviewed\n`);
    git(ws, "commit", "-qam", "review the text cases");
  };
  const direct = await prepare("direct");
  change(direct);
  let t = performance.now();
  await runEvolution({ dir: direct });
  const directRunMs = performance.now() - t;
  const watched = await prepare("watched");
  let repaired: (gen: number | null) => void = () => {};
  const done = new Promise<number | null>((r) => (repaired = r));
  const w = await startWatcher({ root: watched, command: "bench", log: () => {}, initialRun: false, onCycle: (c) => repaired(c.generations[0]?.generation ?? null) });
  try {
    t = performance.now();
    change(watched);
    const generation = await done;
    const changeToRepairMs = performance.now() - t;
    const out = { changeToRepairMs: Math.round(changeToRepairMs), directRunMs: Math.round(directRunMs), ratio: round(changeToRepairMs / directRunMs), generation };
    say(`  golden-test change committed -> repair committed under watch: ${out.changeToRepairMs} ms (gen ${generation}); the same cycle by evolve run's engine directly: ${out.directRunMs} ms; ratio ${out.ratio}`);
    return out;
  } finally {
    await w.stop();
  }
}

export async function serveBench(o: { quick: boolean; say: (line: string) => void }): Promise<ServeBenchResult> {
  const load0 = os.loadavg()[0]!;
  const dir = mkdtempSync(path.join(os.tmpdir(), "evolve-bench-serve-"));
  try {
    const { dir: root } = await initWorkspace(path.join(dir, "ws"), { example: "textkit" });
    const server = await serverBench(root, o.quick ? 100 : 400, o.say);
    const watch = await watchBench(dir, o.say);
    const loadAverage: [number, number] = [round(load0), round(os.loadavg()[0]!)];
    o.say(`  load average (1 min) ${loadAverage[0]} at the start, ${loadAverage[1]} at the end`);
    return { ...server, watch, loadAverage };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
