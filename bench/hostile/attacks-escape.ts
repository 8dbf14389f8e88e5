/** Attacks that try to leave the sandbox: files, processes, network, environment. */
import { ESCAPE, type Attack } from "./attack.js";

export const escapeAttacks: Attack[] = [
  {
    name: "write-via-constructor-chain",
    category: "files",
    tries: "globalThis.constructor.constructor('return process')() then fs.writeFileSync",
    source: `${ESCAPE}\nexport function attack(dir: string) { hostProcess().getBuiltinModule("fs").writeFileSync(dir + "/pwned", "x"); return "wrote"; }`,
    args: ["$CANARY_DIR"],
    expect: ["throw"],
  },
  {
    name: "write-via-arrow-constructor",
    category: "files",
    tries: "an arrow function's constructor (Function) compiling 'return process'",
    source: `export function attack(dir: string) { const p = ((() => 0) as any).constructor("return process")(); p.getBuiltinModule("fs").writeFileSync(dir + "/pwned", "x"); }`,
    args: ["$CANARY_DIR"],
    expect: ["throw"],
  },
  {
    name: "write-via-async-generator-constructor",
    category: "files",
    tries: "AsyncGeneratorFunction constructor compiling code",
    source: `export async function attack(dir: string) { const G = Object.getPrototypeOf(async function* () {}).constructor; const g = G("yield process")(); const p = (await g.next()).value; p.getBuiltinModule("fs").writeFileSync(dir + "/pwned", "x"); }`,
    args: ["$CANARY_DIR"],
    expect: ["throw"],
  },
  {
    name: "static-import-fs",
    category: "files",
    tries: "import { writeFileSync } from 'node:fs'",
    source: `import { writeFileSync } from "node:fs";\nexport function attack(dir: string) { writeFileSync(dir + "/pwned", "x"); }`,
    args: ["$CANARY_DIR"],
    expect: ["build-refused"],
  },
  {
    name: "require-by-computed-name",
    category: "files",
    tries: "globalThis['req' + 'uire']('fs')",
    source: `export function attack(dir: string) { const r = (globalThis as any)["req" + "uire"]; return r("fs").writeFileSync(dir + "/pwned", "x"); }`,
    args: ["$CANARY_DIR"],
    expect: ["throw"],
  },
  {
    name: "computed-dynamic-import",
    category: "files",
    tries: "await import(name) with a name computed at run time",
    source: `export async function attack(dir: string) { const m: any = await import(["node", "fs"].join(":")); m.writeFileSync(dir + "/pwned", "x"); }`,
    args: ["$CANARY_DIR"],
    expect: ["throw"],
  },
  {
    name: "import-outside-workspace",
    category: "files",
    tries: "import a file above the workspace root",
    source: `import text from "../../../../etc/hostname";\nexport function attack() { return text; }`,
    expect: ["build-refused"],
  },
  {
    name: "host-objects-from-stack-callsites",
    category: "files",
    tries: "Error.prepareStackTrace to collect getThis()/getFunction() of host frames, then read the secret",
    source: `export function attack(secret: string) {
      const E = Error as any;
      E.prepareStackTrace = (_e: unknown, sites: any[]) => sites;
      const sites = (new Error("x") as any).stack as any[];
      E.prepareStackTrace = undefined;
      for (const s of sites) {
        for (const candidate of [s.getThis?.(), s.getFunction?.()]) {
          if (candidate === undefined || candidate === null || candidate === globalThis) continue;
          try { const p = candidate.constructor.constructor("return process")(); return p.getBuiltinModule("fs").readFileSync(secret, "utf8"); } catch {}
          try { if (typeof candidate.require === "function") return candidate.require("fs").readFileSync(secret, "utf8"); } catch {}
        }
      }
      return "nothing reachable";
    }`,
    args: ["$SECRET_FILE"],
    assert: '[{ type: equals, value: "nothing reachable" }]',
    expect: ["ok"],
  },
  {
    name: "host-error-object-from-failed-import",
    category: "files",
    tries: "catch the error of a failed import() and climb its constructor chain",
    source: `export async function attack(secret: string) {
      try { await import("x" + Math.random()); } catch (e: any) { const p = e.constructor.constructor("return process")(); return p.getBuiltinModule("fs").readFileSync(secret, "utf8"); }
      return "no error";
    }`,
    args: ["$SECRET_FILE"],
    expect: ["throw"],
  },
  {
    name: "webassembly-compile",
    category: "files",
    tries: "WebAssembly.compile (code generation, off-heap memory)",
    source: `export async function attack() { return await (globalThis as any).WebAssembly.compile(new (globalThis as any).Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); }`,
    expect: ["throw"],
  },
  {
    name: "spawn-via-escape",
    category: "processes",
    tries: "child_process.execSync('touch ...') through the constructor chain",
    source: `${ESCAPE}\nexport function attack(dir: string) { return String(hostProcess().getBuiltinModule("child_process").execSync("touch " + dir + "/spawned")); }`,
    args: ["$CANARY_DIR"],
    expect: ["throw"],
  },
  {
    name: "process-exit",
    category: "processes",
    tries: "process.exit(1) from the global scope",
    source: `export function attack() { (globalThis as any).process.exit(1); return "still alive"; }`,
    expect: ["throw"],
  },
  {
    name: "kill-host-via-escape",
    category: "processes",
    tries: "process.kill(process.ppid, 'SIGKILL') through the constructor chain",
    source: `${ESCAPE}\nexport function attack() { const p = hostProcess(); p.kill(p.ppid, "SIGKILL"); return "killed"; }`,
    expect: ["throw"],
  },
  {
    name: "worker-thread",
    category: "processes",
    tries: "new Worker(...) from the global scope",
    source: `export function attack() { return new (globalThis as any).Worker("data:text/javascript,1"); }`,
    expect: ["throw"],
  },
  {
    name: "fetch-canary-port",
    category: "network",
    tries: "fetch('http://127.0.0.1:PORT')",
    source: `export async function attack(port: number) { const r = await (globalThis as any).fetch("http://127.0.0.1:" + port + "/"); return r.status; }`,
    args: ["$PORT"],
    expect: ["throw"],
  },
  {
    name: "websocket",
    category: "network",
    tries: "new WebSocket('ws://127.0.0.1:PORT')",
    source: `export function attack(port: number) { return new (globalThis as any).WebSocket("ws://127.0.0.1:" + port); }`,
    args: ["$PORT"],
    expect: ["throw"],
  },
  {
    name: "net-connect-via-escape",
    category: "network",
    tries: "net.connect(PORT) through the constructor chain",
    source: `${ESCAPE}\nexport function attack(port: number) { hostProcess().getBuiltinModule("net").connect(port, "127.0.0.1"); return "connected"; }`,
    args: ["$PORT"],
    expect: ["throw"],
  },
  {
    name: "static-import-http",
    category: "network",
    tries: "import http from 'node:http'",
    source: `import http from "node:http";\nexport function attack(port: number) { http.get("http://127.0.0.1:" + port); return "sent"; }`,
    args: ["$PORT"],
    expect: ["build-refused"],
  },
  {
    name: "xhr-and-beacon",
    category: "network",
    tries: "XMLHttpRequest and navigator.sendBeacon",
    source: `export function attack(port: number) { const g = globalThis as any; try { return g.navigator.sendBeacon("http://127.0.0.1:" + port, "x"); } catch {} return new g.XMLHttpRequest(); }`,
    args: ["$PORT"],
    expect: ["throw"],
  },
  {
    name: "env-via-escape",
    category: "environment",
    tries: "process.env through the constructor chain",
    source: `${ESCAPE}\nexport function attack() { return hostProcess().env; }`,
    expect: ["throw"],
  },
  {
    name: "env-by-scanning-globals",
    category: "environment",
    tries: "every global and its properties, looking for an env or a process",
    source: `export function attack() {
      const found: string[] = [];
      for (const k of Object.getOwnPropertyNames(globalThis)) {
        let v: any; try { v = (globalThis as any)[k]; } catch { continue; }
        if (v && typeof v === "object" && ("env" in v || "pid" in v || "argv" in v)) found.push(k);
      }
      return found;
    }`,
    assert: "[{ type: equals, value: [] }]",
    expect: ["ok"],
  },
  {
    name: "process-global",
    category: "environment",
    tries: "typeof process, require, module, Buffer, global",
    source: `export function attack() { const g = globalThis as any; return ["process", "require", "module", "Buffer", "global", "__dirname"].filter((k) => typeof g[k] !== "undefined"); }`,
    assert: "[{ type: equals, value: [] }]",
    expect: ["ok"],
  },
];
