import { createRequire, syncBuiltinESMExports } from "node:module";

const require = createRequire(import.meta.url);

function denied(what: string): () => never {
  return function denied(): never {
    throw new Error(`${what} is not available in the sandbox`);
  };
}

function replace(target: object, key: string, what: string, done: string[]): void {
  if (!(key in target)) return;
  try {
    Object.defineProperty(target, key, { value: denied(what), writable: false, configurable: false });
    done.push(what);
  } catch {
    // A non-configurable built-in stays as it is; the permission model is the next layer.
  }
}

/**
 * Defence in depth for the worker process, run before any task: should candidate code ever reach
 * this realm, it finds no way to end or signal processes, load native code or builtins through
 * `process`, or open network connections (Node 20's permission model does not gate the network).
 * Returns the names of what was replaced, for tests and diagnostics.
 */
export function hardenProcess(): string[] {
  const done: string[] = [];
  const modules: Record<string, string[]> = {
    net: ["connect", "createConnection", "createServer"],
    tls: ["connect", "createServer"],
    http: ["request", "get", "createServer"],
    https: ["request", "get", "createServer"],
    http2: ["connect", "createServer", "createSecureServer"],
    dgram: ["createSocket"],
    dns: ["lookup", "resolve", "resolve4", "resolve6", "resolveAny", "reverse"],
    inspector: ["open", "url", "waitForDebugger"],
  };
  for (const [name, keys] of Object.entries(modules)) {
    const mod = require(`node:${name}`) as Record<string, unknown>;
    for (const key of keys) {
      replace(mod, key, `${name}.${key}`, done);
    }
  }
  const net = require("node:net") as { Socket: { prototype: object }; Server: { prototype: object } };
  replace(net.Socket.prototype, "connect", "net.Socket.connect", done);
  replace(net.Server.prototype, "listen", "net.Server.listen", done);
  const g = globalThis as unknown as Record<string, unknown>;
  for (const key of ["fetch", "WebSocket", "EventSource"]) {
    replace(g, key, key, done);
  }
  // process last: loading some builtins (inspector -> worker_threads) assigns to process.chdir.
  const proc = process as unknown as Record<string, unknown>;
  for (const key of [
    "exit", "reallyExit", "abort", "kill", "_kill", "binding", "_linkedBinding", "dlopen",
    "getBuiltinModule", "chdir", "setuid", "setgid", "seteuid", "setegid", "setgroups",
    "initgroups", "_debugProcess", "_debugEnd", "_startProfilerIdleNotifier", "openStdin",
  ]) {
    replace(proc, key, `process.${key}`, done);
  }
  syncBuiltinESMExports();
  return done;
}
