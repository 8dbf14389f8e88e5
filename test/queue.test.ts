/**
 * Distributed evaluation, in process: a real redis-server on a loopback port, real BullMQ workers
 * (startQueueWorker) with their real sandbox pools, and the remote sandbox a run would use. The
 * outcomes must be the local pool's, and every fault (a refusing worker, no worker, Redis gone or
 * restarted empty) must end in a clear answer instead of a hang. Each test uses its own Redis
 * database, so no test's workers take another's jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue, QueueEvents } from "bullmq";
import { buildBundle } from "../sandbox/build.js";
import { createSandbox } from "../sandbox/pool.js";
import type { CaseCall, CaseOutcome, Sandbox } from "../sandbox/pool.js";
import { loadSuite } from "../golden-tests/index.js";
import { exampleFiles } from "../workspace/init.js";
import { parseConfig } from "../workspace/config.js";
import { createRemoteSandbox, engineVersion, parseRedisUrl, redactRedisUrl, startQueueWorker } from "../queue/index.js";
import type { QueueWorker } from "../queue/index.js";
import { decodeWireOutput, encodeOutput } from "../queue/wire.js";
import { fromWire, QUEUE_NAME } from "../queue/job.js";
import { EvolveError, isEvolveError } from "../kernel/errors.js";
import { HAS_REDIS, NO_REDIS_MESSAGE, startRedis } from "./redis-helpers.js";
import type { RedisServer } from "./redis-helpers.js";

describe("Redis URLs", () => {
  it("pass password, database and TLS options through", () => {
    expect(parseRedisUrl("redis://:s3cret@10.0.0.5:6380/2", {})).toEqual({ host: "10.0.0.5", port: 6380, db: 2, password: "s3cret", maxRetriesPerRequest: null });
    expect(parseRedisUrl("rediss://evolve:pw@redis.internal?servername=redis.internal&insecure=1", {})).toMatchObject({ port: 6379, username: "evolve", password: "pw", tls: { servername: "redis.internal", rejectUnauthorized: false } });
    expect(parseRedisUrl("redis://127.0.0.1:6379", { EVOLVE_REDIS_PASSWORD: "from-env" }).password).toBe("from-env");
  });

  it("refuse bad ones with a usage error that never shows the password", () => {
    for (const bad of ["http://:hunter2@h:1", "redis://:hunter2@h:1/99", "redis://:hunter2@h:1?ca=x", "rediss://:hunter2@h:1?bogus=1", "not a url :hunter2@"]) {
      const err = (() => {
        try {
          parseRedisUrl(bad, {});
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(isEvolveError(err, "usage"), bad).toBe(true);
      expect((err as Error).message).not.toContain("hunter2");
    }
    expect(redactRedisUrl("redis://user:hunter2@h:1/0")).toBe("redis://user:***@h:1/0");
    expect(redactRedisUrl("rediss://:hunter2@h")).toBe("rediss://:***@h");
  });
});

describe("evaluation.redis in evolve.config.yaml", () => {
  it("is read, and refused with file, line and field when it holds a password", () => {
    expect(parseConfig("evaluation:\n  redis: redis://10.0.0.5:6379/1\n").evaluation.redis).toBe("redis://10.0.0.5:6379/1");
    const err = (() => {
      try {
        parseConfig("version: 1\nevaluation:\n  redis: redis://:hunter2@10.0.0.5:6379\n");
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err?.message).toMatch(/evolve\.config\.yaml:3:.*evaluation\.redis.*EVOLVE_REDIS_PASSWORD/);
    expect(() => parseConfig("evaluation:\n  redis: http://h:1\n")).toThrow(/evaluation\.redis/);
  });
});

describe("outputs on the wire", () => {
  it("decode to the very values the local pool hands the judge", () => {
    const weird = new Map<unknown, unknown>([["k", [undefined, Number.NaN, -0, 12n]], [1, new Set([Number.POSITIVE_INFINITY, new Date(0), /a+/giu])]]);
    const values: unknown[] = [weird, { $evolve: "not a tag", nested: { x: null } }, Object.defineProperty({}, "__proto__", { value: 1, enumerable: true }), "text", 3.5, true, null, undefined];
    for (const v of values) expect(decodeWireOutput(encodeOutput(v))).toStrictEqual(v);
  });

  it("turn a malformed result into crash outcomes of the cases, never a thrown error", () => {
    const calls: CaseCall[] = [{ id: "a", tool: "t", args: [] }, { id: "b", tool: "t", args: [] }];
    const mixed = fromWire({ outcomes: [{ id: "a", ok: true, output: "1", ms: 1 }, { id: "x", ok: true, output: "2", ms: 1 }] }, calls);
    expect(mixed[0]).toEqual({ id: "a", ok: true, output: 1, ms: 1 });
    expect(mixed[1]).toMatchObject({ id: "b", ok: false, kind: "crash" });
    expect(fromWire("garbage", calls).every((o) => !o.ok && o.kind === "crash")).toBe(true);
    expect(fromWire({ outcomes: [{ id: "a", ok: false, kind: "made-up", error: "e", ms: 1 }, { id: "b", ok: true, output: "{", ms: 1 }] }, calls).map((o) => (o.ok ? "ok" : o.kind))).toEqual(["crash", "crash"]);
  });
});

describe.skipIf(!HAS_REDIS)("the remote sandbox on a real Redis", () => {
  let redis: RedisServer;
  const files = exampleFiles("textkit");
  const suite = loadSuite(files);
  const calls: CaseCall[] = suite.cases.map((c) => ({ id: c.id, tool: c.tool, args: c.args }));
  let code = "";
  let local: Sandbox;
  const open: Array<{ destroy?: () => Promise<void>; close?: () => Promise<void> }> = [];
  const url = (db: number) => `${redis.url}/${db}`;
  const worker = async (db: number, extra: { suiteHash?: string } = {}): Promise<QueueWorker> => {
    const w = await startQueueWorker({ redis: url(db), concurrency: 1, lockMs: 1500, ...extra });
    open.push(w);
    return w;
  };
  const remote = (db: number, extra: { noWorkerMs?: number; redisDownMs?: number } = {}) => {
    const s = createRemoteSandbox({ redis: url(db), suiteHash: suite.hash, timeoutMs: 1000, memoryMb: 128, ...extra });
    open.push(s);
    return s;
  };
  const comparable = (outcomes: CaseOutcome[]) => outcomes.map((o) => ({ ...o, ms: 0 }));

  beforeAll(async () => {
    redis = await startRedis();
    const built = await buildBundle(files, { allowImports: [] });
    if (!built.ok) throw new Error(built.reason);
    code = built.code;
    local = createSandbox({ workers: 1, timeoutMs: 1000, memoryMb: 128 });
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((o) => (o.destroy ?? o.close)!()));
    await local?.destroy();
    await redis?.cleanup();
  });

  it("returns the local pool's outcomes, coverage included", async () => {
    await worker(1);
    const sandbox = remote(1);
    for (const coverage of [false, true]) {
      const [mine, theirs] = await Promise.all([local.run(code, calls, { coverage }), sandbox.run(code, calls, { coverage })]);
      expect(comparable(theirs)).toEqual(comparable(mine));
    }
    expect(calls.length).toBeGreaterThan(10);
  });

  it("a worker pinned to another suite refuses the job, and the run stops with its reason", async () => {
    await worker(2, { suiteHash: "another-suite" });
    const err = await remote(2).run(code, calls).catch((e: unknown) => e);
    expect(isEvolveError(err, "queue")).toBe(true);
    expect((err as Error).message).toMatch(/refused job .*pinned to suite another-suite and the job's suite is /);
  });

  it("a worker refuses a job from another engine version", async () => {
    await worker(3);
    const connection = parseRedisUrl(url(3));
    const queue = new Queue(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    try {
      await events.waitUntilReady();
      const job = await queue.add("eval", { engine: "0.0.1+elsewhere", suiteHash: suite.hash, code, calls: [], coverage: false, limits: { timeoutMs: 1000, memoryMb: 128 } });
      const reason = await job.waitUntilFinished(events, 20_000).catch((e: unknown) => (e as Error).message);
      expect(reason).toContain(`it runs engine ${engineVersion()} and the job comes from engine 0.0.1+elsewhere`);
    } finally {
      await Promise.allSettled([events.close(), queue.close()]);
    }
  });

  it("says no worker is connected instead of hanging", async () => {
    const t0 = Date.now();
    const err = await remote(4, { noWorkerMs: 1000 }).run(code, calls).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvolveError);
    expect((err as EvolveError).data).toMatchObject({ reason: "no-worker", redis: url(4) });
    expect((err as Error).message).toContain("no evolve worker is connected");
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("waits through a Redis restart that lost every job, resubmits, and gets the same outcomes", async () => {
    await worker(5);
    const sandbox = remote(5, { redisDownMs: 30_000 });
    const expected = comparable(await sandbox.run(code, calls));
    await redis.stop();
    const during = sandbox.run(code, calls);
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    expect(comparable(await during)).toEqual(expected);
  });
});

describe.skipIf(!HAS_REDIS)("Redis gone for good", () => {
  it("stops after the stated limit, naming the address without its password", async () => {
    const redis = await startRedis(["--requirepass", "hunter2"]);
    const sandbox = createRemoteSandbox({ redis: `redis://:hunter2@127.0.0.1:${redis.port}/6`, suiteHash: "h", redisDownMs: 1000 });
    try {
      await redis.stop();
      const err = await sandbox.run("", [{ id: "a", tool: "t", args: [] }]).catch((e: unknown) => e);
      expect((err as EvolveError).data).toMatchObject({ reason: "redis-down" });
      expect((err as Error).message).toContain(`redis://:***@127.0.0.1:${redis.port}/6 has been unreachable`);
      expect(JSON.stringify((err as EvolveError).data) + (err as Error).message).not.toContain("hunter2");
    } finally {
      await sandbox.destroy();
      await redis.cleanup();
    }
  });
});

if (!HAS_REDIS) describe("the remote sandbox on a real Redis", () => it.skip(NO_REDIS_MESSAGE, () => {}));
