/**
 * A real, throwaway redis-server for the queue tests: loopback only, a free port, its own temp dir,
 * no persistence (`--save '' --appendonly no`), so a restart comes back empty like a crashed one.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import net from "node:net";
import { tempDir } from "./helpers.js";

export const HAS_REDIS = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
export const NO_REDIS_MESSAGE = "redis-server is not installed (apt-get install -y redis-server; .ci/run installs it): the queue tests skip";

export interface RedisServer {
  port: number;
  url: string;
  /** Kill it (SIGKILL: no goodbye to clients) and start it again on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function answering(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const tmp = tempDir("evolve-redis-");
  let child: ChildProcess | null = null;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp.dir, ...extra], { stdio: "ignore" });
      await answering(port, Date.now() + 10_000);
    },
    async stop() {
      const c = child;
      if (c === null) return;
      child = null;
      const closed = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await closed;
    },
    async cleanup() {
      await server.stop();
      tmp.cleanup();
    },
  };
  await server.start();
  return server;
}
