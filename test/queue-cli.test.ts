/**
 * The distributed run end to end: a real redis-server, two `evolve worker` processes, and the
 * bundled textkit workspace evolved twice from the same seed, once locally and once through the
 * queue while one worker is SIGKILLed in the middle of a job. Both runs must commit the same
 * generations with the same trailers (Evolve-Metrics aside: it holds wall time), evaluate the same
 * number of candidates (the killed job counted once), and the killed job must have been finished
 * by the other worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { Queue } from "bullmq";
import { CLI, evolveAsync, evolveJson, git, GIT_ENV, tempDir } from "./helpers.js";
import { HAS_REDIS, NO_REDIS_MESSAGE, startRedis } from "./redis-helpers.js";
import type { RedisServer } from "./redis-helpers.js";
import { parseRedisUrl } from "../queue/index.js";
import { QUEUE_NAME } from "../queue/job.js";

interface RunJson {
  generations: Array<{ generation: number; score: number; operator: string; fixed: string[] }>;
  candidates: { evaluated: number; fromCache: number };
}

/** Each generation's subject and trailers, Evolve-Metrics left out (its evalMs is a wall time). */
function history(ws: string): string[] {
  return git(ws, "log", "--first-parent", "--format=%s%n%(trailers)%x00")
    .split("\0")
    .map((entry) => entry.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("Evolve-Metrics:")).join("\n"));
}

function startWorker(url: string): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [CLI, "worker", "--redis", url, "--concurrency", "1", "--lock-ms", "1500"], { env: { ...process.env, ...GIT_ENV }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  return { child, log: () => log };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!HAS_REDIS)("evolve run --redis with two evolve worker processes", () => {
  const tmp = tempDir();
  let redis: RedisServer;
  let workers: Array<ReturnType<typeof startWorker>> = [];
  const runArgs = ["--seed", "1", "--generations", "2", "--candidates", "8", "--json", "--no-progress"];

  beforeAll(async () => {
    redis = await startRedis();
    workers = [startWorker(redis.url), startWorker(redis.url)];
    await until("both workers are ready", () => workers.every((w) => w.log().includes(" ready on ")), 60_000);
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill("SIGKILL");
    await redis?.cleanup();
    tmp.cleanup();
  });

  it("commits what the local run commits, though a worker is SIGKILLed mid-job", async () => {
    const local = path.join(tmp.dir, "local");
    const remote = path.join(tmp.dir, "remote");
    for (const ws of [local, remote]) {
      evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
      // A loaded machine (other test files, both runs' workers) must not turn a slow case into a
      // timeout in one run and not the other: the comparison is about the queue, not the load.
      const config = path.join(ws, "evolve.config.yaml");
      writeFileSync(config, readFileSync(config, "utf8").replace(/timeoutMs: \d+/, "timeoutMs: 3000"));
      git(ws, "commit", "-qam", "a generous case time limit");
    }
    const localRun = await evolveAsync(["run", "--workspace", local, ...runArgs], tmp.dir);
    expect(localRun.status, localRun.stderr).toBe(0);

    const queue = new Queue(QUEUE_NAME, { connection: parseRedisUrl(redis.url) });
    try {
      const victim = workers[0]!;
      const distributed = evolveAsync(["run", "--workspace", remote, "--redis", redis.url, ...runArgs], tmp.dir);
      // The kill lands while the victim holds a job: its lock lapses and the other worker runs it.
      let killed: string | undefined;
      await until("the first worker holds a job", async () => {
        const held = (await queue.getActive()).find((j) => j.processedBy?.endsWith(`:${victim.child.pid}`) === true);
        if (held !== undefined) {
          victim.child.kill("SIGKILL");
          killed = held.id;
        }
        return killed !== undefined;
      }, 120_000);
      const remoteRun = await distributed;
      expect(remoteRun.status, remoteRun.stderr).toBe(0);

      const a = JSON.parse(localRun.stdout) as RunJson;
      const b = JSON.parse(remoteRun.stdout) as RunJson;
      expect(a.generations.length).toBeGreaterThanOrEqual(1);
      const sameness = (g: RunJson["generations"][number]) => ({ ...g, commit: "(differs: commit times)" });
      expect(b.generations.map(sameness)).toEqual(a.generations.map(sameness));
      expect(history(remote)).toEqual(history(local));
      expect(b.candidates.evaluated).toBe(a.candidates.evaluated);

      const job = await queue.getJob(killed!);
      expect(job?.finishedOn).toBeGreaterThan(0);
      expect(job!.stalledCounter).toBeGreaterThanOrEqual(1);
      expect(job!.processedBy).toMatch(new RegExp(`:${workers[1]!.child.pid}$`));
    } finally {
      await queue.close();
    }
  }, 240_000);
});

if (!HAS_REDIS) describe("evolve run --redis with two evolve worker processes", () => it.skip(NO_REDIS_MESSAGE, () => {}));
