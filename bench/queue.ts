/**
 * Distributed evaluation, measured: candidates per second through the queue with 1, 2 and 4
 * `evolve worker` processes on this machine, against the local sandbox pool in the same run, and
 * the queue's own cost per candidate (median latency of one candidate at a time through one worker,
 * minus the same through a one-process local pool, in interleaved pairs).
 *
 * A candidate is textkit's built bundle with its whole golden suite (every case, one job), the unit
 * `evolve run` sends. A real redis-server is started on a free loopback port (no persistence) and
 * stopped afterwards; without redis-server the bench says so and skips.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { quantileSorted } from "../kernel/statistics.js";
import { buildBundle } from "../sandbox/build.js";
import { createSandbox } from "../sandbox/pool.js";
import type { CaseCall, Sandbox } from "../sandbox/pool.js";
import { loadSuite } from "../golden-tests/index.js";
import { exampleFiles } from "../workspace/init.js";
import { createRemoteSandbox } from "../queue/index.js";

export interface QueueBenchResult {
  skipped?: string;
  /** Golden cases per candidate (textkit's suite). */
  cases?: number;
  /** Candidates per throughput measurement; each measurement is repeated `repeats` times, medians reported. */
  candidates?: number;
  repeats?: number;
  /** The local pool with the run's default 2 worker processes. */
  local?: { workers: number; perSecond: number };
  /** Through the queue, N single-slot `evolve worker` processes. */
  remote?: Array<{ workers: number; perSecond: number; vsLocal: number }>;
  /** One candidate at a time: median ms locally (1 process) and through the queue (1 worker); the difference. */
  overhead?: { samples: number; localMs: number; remoteMs: number; perCandidateMs: number };
  /** 1-minute load average at the start and end: other processes' share of the 2 cores. */
  load?: [number, number];
}

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "evolve.js");

export async function queueBench(o: { quick: boolean; say: (line: string) => void }): Promise<QueueBenchResult> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) {
    o.say("  skipped: redis-server is not installed (apt-get install -y redis-server)");
    return { skipped: "redis-server not installed" };
  }
  const load0 = os.loadavg()[0]!;
  const candidates = o.quick ? 16 : 40;
  const repeats = o.quick ? 1 : 3;
  const samples = o.quick ? 15 : 40;
  const files = exampleFiles("textkit");
  const suite = loadSuite(files);
  const calls: CaseCall[] = suite.cases.map((c) => ({ id: c.id, tool: c.tool, args: c.args }));
  const built = await buildBundle(files, { allowImports: [] });
  if (!built.ok) throw new Error(`bench: textkit does not build: ${built.reason}`);
  const code = built.code;
  const limits = { timeoutMs: 1000, memoryMb: 128 };
  const redis = await startRedis();
  const workers: ChildProcess[] = [];
  try {
    const throughput = async (sandbox: Sandbox, inflight: number) => median(await times(repeats, () => rate(sandbox, code, calls, candidates, inflight)));
    const pool = createSandbox({ workers: 2, ...limits });
    const one = createSandbox({ workers: 1, ...limits });
    const remote = createRemoteSandbox({ redis: redis.url, suiteHash: suite.hash, ...limits });
    try {
      await Promise.all([pool.run(code, calls), one.run(code, calls)]);
      const local = { workers: 2, perSecond: round(await throughput(pool, 2)) };
      o.say(`  local pool, 2 processes: ${local.perSecond} candidates/s`);
      const out: NonNullable<QueueBenchResult["remote"]> = [];
      for (const n of [1, 2, 4]) {
        while (workers.length < n) workers.push(await startWorker(redis.url));
        await Promise.all(workers.map(() => remote.run(code, calls)));
        const perSecond = round(await throughput(remote, n));
        out.push({ workers: n, perSecond, vsLocal: round(perSecond / local.perSecond) });
        o.say(`  queue, ${n} worker${n === 1 ? "" : "s"}: ${perSecond} candidates/s (${round(perSecond / local.perSecond)}x the local pool)`);
      }
      // One worker left, one candidate at a time: what the queue adds to a candidate's latency.
      for (const w of workers.splice(1)) await stopWorker(w);
      // Interleaved pairs, so both sides see the same load; the overhead is the median difference.
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < samples; i++) pairs.push([await latency(one, code, calls), await latency(remote, code, calls)]);
      const localMs = median(pairs.map((p) => p[0]));
      const remoteMs = median(pairs.map((p) => p[1]));
      const overhead = { samples, localMs: round(localMs), remoteMs: round(remoteMs), perCandidateMs: round(median(pairs.map(([l, r]) => r - l))) };
      o.say(`  per candidate, one at a time: local ${overhead.localMs} ms, queue ${overhead.remoteMs} ms: queue overhead ${overhead.perCandidateMs} ms`);
      const load: [number, number] = [round(load0), round(os.loadavg()[0]!)];
      o.say(`  load average ${load[0]} -> ${load[1]} on ${os.cpus().length} cores`);
      return { cases: calls.length, candidates, repeats, local, remote: out, overhead, load };
    } finally {
      await Promise.all([pool.destroy(), one.destroy(), remote.destroy()]);
    }
  } finally {
    for (const w of workers) await stopWorker(w);
    redis.stop();
  }
}

/** Candidates per second: `count` runs of the suite, `inflight` at a time. */
async function rate(sandbox: Sandbox, code: string, calls: CaseCall[], count: number, inflight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < count) {
      next += 1;
      const outcomes = await sandbox.run(code, calls);
      if (outcomes.length !== calls.length) throw new Error("bench: a run lost outcomes");
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  return count / ((performance.now() - t0) / 1000);
}

async function latency(sandbox: Sandbox, code: string, calls: CaseCall[]): Promise<number> {
  const t0 = performance.now();
  await sandbox.run(code, calls);
  return performance.now() - t0;
}

async function times(n: number, f: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

function median(xs: number[]): number {
  return quantileSorted([...xs].sort((a, b) => a - b), 0.5);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, "worker", "--redis", url, "--concurrency", "1"], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes(" ready on ")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`bench: evolve worker exited ${code}: ${log}`)));
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "evolve-bench-redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
