/**
 * Learning from use, measured: the time the recording hook adds to a request, and `evolve stats`
 * over 100,000 recorded interactions, both in process and as the CLI (with the CLI's bare start-up,
 * `evolve --version`, measured in the same run as its baseline).
 *
 * The hook is measured two ways on a store already holding those 100,000 interactions: the time the
 * recorder spends in the store per request (it measures its own calls), and the difference of median
 * wall times of the same request with and without the recorder, interleaved. The model is an
 * in-process stand-in that answers at once (one tool call, then the answer), so model time does not
 * drown the hook's; the tool call runs in the real sandbox.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { quantileSorted } from "../kernel/statistics.js";
import { createRng } from "../evolution/rng.js";
import { type Completion, type Provider } from "../agent/llm/provider.js";
import { createRecorder } from "../agent/runtime/recorder.js";
import { prepareAgent, runAgent, type RunAgentOptions } from "../agent/runtime/run.js";
import { createSandbox } from "../sandbox/pool.js";
import { initWorkspace } from "../workspace/init.js";
import { openWorkspace } from "../workspace/open.js";
import { interactionStorePath } from "../workspace/interactions.js";
import { openInteractionStore, statsReport, DEFAULT_LIVE_THRESHOLDS, LIVE_METRICS, type InteractionStore } from "../interactions/index.js";

export interface InteractionsBenchResult {
  stored: number;
  hook: {
    runs: number;
    /** Wall time of the recorder's store calls per request. */
    recordMs: { median: number; p95: number; max: number };
    wallWithMs: number;
    wallWithoutMs: number;
    addedMs: number;
    /** This process's CPU time per request with and without the recorder (medians), and the difference: immune to other processes' load. */
    cpuWithMs: number;
    cpuWithoutMs: number;
    addedCpuMs: number;
    /** p95 of the CPU time per request with the recorder minus the median without it. */
    addedCpuP95Ms: number;
  };
  stats: {
    rows: number;
    /** Medians over the repeats; `firstMs` is the first run alone, before the JIT has seen the code (as in a fresh CLI process). */
    inProcess: { loadMs: number; computeMs: number; totalMs: number; cpuMs: number; firstMs: number };
    cliMs: number;
    /** The same command on a workspace with nothing recorded: start-up, imports and the committed config. */
    cliEmptyMs: number;
    /** `evolve --version`: node and commander alone. */
    cliBaselineMs: number;
    repeats: number;
  };
  fillMs: number;
  /** 1-minute load average at the start and the end: on a shared machine, wall times are only comparable at similar load. */
  loadAverage: [number, number];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]) => quantileSorted(sorted(xs), 0.5);

/** 100,000 interactions over 14 days and 10 generations: 5% errors, 10% rated, 3% asked again. */
function fill(store: InteractionStore, count: number): void {
  // Seeded, so every run fills the same store.
  const r = createRng(7).next;
  const now = Date.now();
  const model = { provider: "ollama", name: "llama3", identity: "ollama:llama3:latest@bench", params: { temperature: 0, maxSteps: 4 } };
  const tool = { name: "slugify", args: '["Hello World"]', ok: true, result: '"hello-world"', failureKind: null, ms: 2 };
  store.batch(() => {
    for (let i = 0; i < count; i++) {
      const at = now - 14 * 86_400_000 + Math.floor((i / count) * 14 * 86_400_000);
      const id = store.begin({ source: "chat", session: `s${i >> 4}`, request: `request number ${i} about notes`, model, commit: null, generation: Math.floor((i / count) * 10), at });
      const error = r() < 0.05;
      const total = 200 + Math.exp(6 + r() * 2);
      store.complete(id, { status: error ? "no-answer" : "answered", answer: error ? null : `answer ${i}`, errorKind: error ? "max-steps" : null, error: error ? "no answer within 4 step(s)" : null, toolCalls: r() < 0.5 ? [tool] : [], steps: 2, refusals: 0, firstTokenMs: total / 3, totalMs: total, modelMs: total * 0.8, tokensIn: 300, tokensOut: 40, at: at + total });
      if (r() < 0.1) store.addFeedback(id, { source: "explicit", signal: "rating", rating: 1 + Math.floor(r() * 5) });
      if (r() < 0.03) store.addFeedback(id, { source: "implicit", signal: "asked-again" });
    }
  });
}

/** A model stand-in that answers at once: a tool call, then the answer. */
function instantProvider(): Provider {
  let n = 0;
  const replies = [JSON.stringify({ action: "tool", tool: "slugify", args: ["Hello World"] }), JSON.stringify({ action: "answer", text: "The slug is hello-world." })];
  async function* stream(): AsyncGenerator<string, Completion> {
    const text = replies[n++ % 2]!;
    for (let i = 0; i < text.length; i += 16) yield text.slice(i, i + 16);
    return { text, tokens: { prompt: 300, completion: 20 }, ms: 0.1, firstTokenMs: 0.05, cached: false };
  }
  return {
    name: "openai",
    info: async () => ({ provider: "bench", model: "instant", identity: "bench:instant" }),
    health: async () => ({ ok: true }),
    stream,
    complete: async () => {
      const g = stream();
      for (;;) {
        const s = await g.next();
        if (s.done) return s.value;
      }
    },
    close: async () => {},
  };
}

async function hookBench(root: string, store: InteractionStore, runs: number, say: (s: string) => void): Promise<InteractionsBenchResult["hook"]> {
  const ws = await openWorkspace(root);
  const agent = await prepareAgent(ws.files, ws.config);
  const sandbox = createSandbox({ workers: 1 });
  const provider = instantProvider();
  const recorder = createRecorder({ store, source: "chat", session: "bench", commit: ws.commit, generation: 10, model: { provider: "bench", name: "instant", params: {} }, identity: async () => "bench:instant" });
  const options = (request: string): RunAgentOptions => ({ agent, provider, sandbox, request, onToken: () => {} });
  try {
    for (let i = 0; i < 30; i++) await recorder.run(options(`warm-up ${i}`));
    const recordMs: number[] = [];
    const withMs: number[] = [];
    const withoutMs: number[] = [];
    const cpuWith: number[] = [];
    const cpuWithout: number[] = [];
    const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
    for (let i = 0; i < runs; i++) {
      // Different requests, so "asked again" is looked for and not found, as in most real use.
      let c = process.cpuUsage();
      let t = performance.now();
      const r = await recorder.run(options(`request ${i} ${i * 7919}`));
      withMs.push(performance.now() - t);
      cpuWith.push(cpuMs(process.cpuUsage(c)));
      recordMs.push(r.recordMs);
      c = process.cpuUsage();
      t = performance.now();
      await runAgent(options(`request ${i} ${i * 7919}`));
      withoutMs.push(performance.now() - t);
      cpuWithout.push(cpuMs(process.cpuUsage(c)));
    }
    const s = sorted(recordMs);
    const hook = {
      runs,
      recordMs: { median: round(median(s), 3), p95: round(quantileSorted(s, 0.95), 3), max: round(s.at(-1)!, 3) },
      wallWithMs: round(median(withMs), 3),
      wallWithoutMs: round(median(withoutMs), 3),
      addedMs: round(median(withMs) - median(withoutMs), 3),
      cpuWithMs: round(median(cpuWith), 3),
      cpuWithoutMs: round(median(cpuWithout), 3),
      addedCpuMs: round(median(cpuWith) - median(cpuWithout), 3),
      addedCpuP95Ms: round(quantileSorted(sorted(cpuWith), 0.95) - median(cpuWithout), 3),
    };
    say(`  recording hook, ${runs} requests on a store of 100,000: store time per request median ${hook.recordMs.median} ms, p95 ${hook.recordMs.p95} ms, max ${hook.recordMs.max} ms`);
    say(`  same request with / without the recorder (interleaved, median wall): ${hook.wallWithMs} / ${hook.wallWithoutMs} ms, added ${hook.addedMs} ms`);
    say(`  CPU time of this process per request with / without (medians): ${hook.cpuWithMs} / ${hook.cpuWithoutMs} ms, added ${hook.addedCpuMs} ms (p95 with minus median without: ${hook.addedCpuP95Ms} ms)`);
    return hook;
  } finally {
    await sandbox.destroy();
  }
}

function cliMs(args: readonly string[], repeats: number): number {
  const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "evolve.js");
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`bench: evolve ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return round(median(times), 1);
}

function statsBench(root: string, empty: string, file: string, repeats: number, say: (s: string) => void): InteractionsBenchResult["stats"] {
  const load: number[] = [];
  const compute: number[] = [];
  const cpu: number[] = [];
  let rows = 0;
  for (let i = 0; i < repeats; i++) {
    const c = process.cpuUsage();
    let t = performance.now();
    const store = openInteractionStore(file, { create: false })!;
    const data = store.metricColumns();
    const commits = store.servedBy();
    store.close();
    load.push(performance.now() - t);
    t = performance.now();
    statsReport(data, { by: "generation", since: null, now: Date.now(), thresholds: DEFAULT_LIVE_THRESHOLDS, tracked: LIVE_METRICS, commits });
    compute.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    rows = data.n;
  }
  const totals = load.map((l, i) => l + compute[i]!);
  const inProcess = { loadMs: round(median(load), 1), computeMs: round(median(compute), 1), totalMs: round(median(totals), 1), cpuMs: round(median(cpu), 1), firstMs: round(totals[0]!, 1) };
  const cli = cliMs(["stats", "--by", "generation", "--json", "--workspace", root], repeats);
  const cliEmpty = cliMs(["stats", "--by", "generation", "--json", "--workspace", empty], repeats);
  const baseline = cliMs(["--version"], repeats);
  say(`  evolve stats --by generation over ${rows.toLocaleString("en")} interactions: in process ${inProcess.totalMs} ms (read ${inProcess.loadMs} + compute ${inProcess.computeMs}; CPU ${inProcess.cpuMs} ms; the first, cold run ${inProcess.firstMs} ms)`);
  say(`  the same as a CLI: ${cli} ms; on a workspace with nothing recorded ${cliEmpty} ms; evolve --version ${baseline} ms`);
  return { rows, inProcess, cliMs: cli, cliEmptyMs: cliEmpty, cliBaselineMs: baseline, repeats };
}

export async function interactionsBench(o: { quick: boolean; say: (line: string) => void }): Promise<InteractionsBenchResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "evolve-interactions-bench-"));
  const loadBefore = round(os.loadavg()[0]!, 1);
  try {
    const { dir } = await initWorkspace(path.join(tmp, "textkit"), { example: "textkit" });
    const empty = (await initWorkspace(path.join(tmp, "empty"), { example: "textkit" })).dir;
    const file = await interactionStorePath(dir);
    const store = openInteractionStore(file)!;
    const count = 100_000;
    const t = performance.now();
    fill(store, count);
    const fillMs = round(performance.now() - t, 0);
    o.say(`  filled the store with ${count.toLocaleString("en")} interactions in ${fillMs} ms (one transaction)`);
    const stats = statsBench(dir, empty, file, o.quick ? 3 : 5, o.say);
    const hook = await hookBench(dir, store, o.quick ? 200 : 1000, o.say);
    store.close();
    const loadAverage: [number, number] = [loadBefore, round(os.loadavg()[0]!, 1)];
    o.say(`  load average (1 min) ${loadAverage[0]} at the start, ${loadAverage[1]} at the end, on ${os.cpus().length} cores`);
    return { stored: count, hook, stats, fillMs, loadAverage };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
