import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../sandbox/build.js";
import { packageRoot } from "../kernel/package-root.js";
import { createSandbox, workerExecArgv, workerReadPaths, type CaseCall, type CaseOutcome, type Sandbox } from "../sandbox/pool.js";
import { MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS } from "../sandbox/limits.js";

// Real worker processes throughout: the sandbox runs dist/sandbox/worker.js (built by `npm test`).
const TIMEOUT_MS = 400;
const MEMORY_MB = 64;
let sandbox: Sandbox;
const scratch = mkdtempSync(join(tmpdir(), "evolve-hostile-"));

beforeAll(() => {
  sandbox = createSandbox({ workers: 2, timeoutMs: TIMEOUT_MS, memoryMb: MEMORY_MB });
});
afterAll(async () => {
  await sandbox.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

async function bundle(source: string, more: Record<string, string> = {}): Promise<string> {
  const r = await buildBundle(new Map(Object.entries({ "agent/tools/t.ts": source, ...more })));
  if (!r.ok) throw new Error(r.reason);
  return r.code;
}

async function runOne(source: string, tool: string, args: unknown[] = [], extra: Partial<CaseCall> = {}): Promise<CaseOutcome> {
  const [outcome] = await sandbox.run(await bundle(source), [{ id: tool, tool, args, ...extra }]);
  if (outcome === undefined) throw new Error("no outcome");
  return outcome;
}

function failure(o: CaseOutcome): { kind: string; error: string } {
  if (o.ok) throw new Error(`expected a failure, got output ${JSON.stringify(o.output)}`);
  return { kind: o.kind, error: o.error };
}

const healthySource = `
export function add(a: number, b: number): number { return a + b; }
export async function slowUpper(s: string): Promise<string> {
  await new Promise((r) => setTimeout(r, 250));
  return s.toUpperCase();
}`;
let healthyCode: string | undefined;

/** The same pool still runs a well-behaved candidate correctly. */
async function expectHealthy(): Promise<void> {
  healthyCode ??= await bundle(healthySource);
  const out = await sandbox.run(healthyCode, [
    { id: "h1", tool: "add", args: [2, 3] },
    { id: "h2", tool: "slowUpper", args: ["ok"] },
    { id: "h3", tool: "add", args: [-1, 1] },
  ]);
  expect(out.map((o) => (o.ok ? o.output : `${o.kind}: ${o.error}`))).toEqual([5, "OK", 0]);
}

describe("hostile candidates, each followed by a healthy run on the same pool", () => {
  it("a throw is reported with its message", async () => {
    const o = failure(await runOne('export function f() { throw new RangeError("no such thing"); }', "f"));
    expect(o).toEqual({ kind: "throw", error: "RangeError: no such thing" });
    await expectHealthy();
  });

  it("while (true) {} -> timeout", async () => {
    const o = failure(await runOne("export function f() { while (true) {} }", "f"));
    expect(o).toEqual({ kind: "timeout", error: `exceeded the ${TIMEOUT_MS} ms case budget` });
    await expectHealthy();
  });

  it("an endless async microtask loop -> timeout", async () => {
    const o = failure(await runOne("export async function f() { for (;;) await null; }", "f"));
    expect(o.kind).toBe("timeout");
    await expectHealthy();
  });

  it("a promise nothing can resolve -> never-settled (not a timeout)", async () => {
    const o = await runOne("export function f() { return new Promise(() => {}); }", "f");
    expect(failure(o).kind).toBe("never-settled");
    await expectHealthy();
  });

  it("a memory bomb -> memory, and the pool recovers", async () => {
    const o = failure(
      await runOne("export function f() { const a: number[][] = []; for (;;) a.push(new Array(1_000_000).fill(1.5)); }", "f", [], { timeoutMs: 20_000 }),
    );
    expect(o).toEqual({ kind: "memory", error: `exceeded the ${MEMORY_MB} MB heap limit; worker died` });
    await expectHealthy();
  });

  it("a worker death is attributed to the case that caused it", async () => {
    const code = await bundle(`
      export function ok(n: number) { return n * 10; }
      export function bomb() { const a: string[][] = []; for (;;) a.push(new Array(1_000_000).fill("x")); }
      export function bad() { throw new Error("plain failure"); }`);
    const out = await sandbox.run(code, [
      { id: "a", tool: "ok", args: [1] },
      { id: "b", tool: "bomb", args: [], timeoutMs: 20_000 },
      { id: "c", tool: "ok", args: [3] },
      { id: "d", tool: "bad", args: [] },
    ]);
    expect(out.map((o) => [o.id, o.ok ? o.output : o.kind])).toEqual([
      ["a", 10],
      ["b", "memory"],
      ["c", 30],
      ["d", "throw"],
    ]);
    await expectHealthy();
  });

  it("process.exit(1): there is no process in the context", async () => {
    const o = failure(await runOne("declare const process: any;\nexport function f() { process.exit(1); return 'still here'; }", "f"));
    expect(o).toEqual({ kind: "throw", error: "ReferenceError: process is not defined" });
    await expectHealthy();
  });

  describe("the constructor-chain escape", () => {
    const target = join(scratch, "escaped.txt");
    const escape = 'const p = (globalThis as any).constructor.constructor("return process")();';
    const variants: Record<string, string> = {
      exit: `${escape} p.exit(1);`,
      env: `${escape} return p.env;`,
      write: `${escape} p.getBuiltinModule("fs").writeFileSync(${JSON.stringify(target)}, "pwned");`,
      spawn: `${escape} return p.getBuiltinModule("child_process").execSync("id").toString();`,
      arrow: `const p = (() => 0).constructor("return process")(); p.exit(2);`,
      asyncFn: `const p = Object.getPrototypeOf(async function () {}).constructor("return process")(); p.exit(3);`,
    };
    for (const [name, body] of Object.entries(variants)) {
      it(`${name}: stopped by the context (no code generation from strings)`, async () => {
        const o = failure(await runOne(`export async function f() { ${body} }`, "f"));
        expect(o).toEqual({ kind: "throw", error: "EvalError: Code generation from strings disallowed for this context" });
        expect(existsSync(target)).toBe(false);
        await expectHealthy();
      });
    }
  });

  it("the global's constructor chain stays in the context's realm (a {} sandbox would lead to the host's Function)", async () => {
    const o = await runOne("export function f() { const g = globalThis as any; return [g.constructor.constructor === Function, typeof g.process, typeof g.require]; }", "f");
    expect(o.ok && o.output).toEqual([true, "undefined", "undefined"]);
  });

  it("fetch, require and computed import() are not there", async () => {
    const src = `
      export function viaFetch() { return (globalThis as any).fetch("http://127.0.0.1:9/"); }
      export function viaRequire() { const r = "require"; return (globalThis as any)[r]("fs"); }
      export async function viaImport(m: string) {
        try { await import(m); return "imported"; }
        catch (e: any) { try { return e.constructor.constructor("return process")().pid; } catch (e2: any) { throw e; } }
      }`;
    const code = await bundle(src);
    const out = await sandbox.run(code, [
      { id: "1", tool: "viaFetch", args: [] },
      { id: "2", tool: "viaRequire", args: [] },
      { id: "3", tool: "viaImport", args: ["node:fs"] },
    ]);
    expect(out.map((o) => (o.ok ? o.output : `${o.kind}: ${o.error}`))).toEqual([
      "throw: TypeError: globalThis.fetch is not a function",
      "throw: TypeError: globalThis[r] is not a function",
      'throw: Error: Dynamic require of "node:fs" is not supported',
    ]);
    await expectHealthy();
  });

  it("a stray setInterval -> stray-timers", async () => {
    const o = failure(await runOne("export function f() { setInterval(() => {}, 10); return 1; }", "f"));
    expect(o).toEqual({ kind: "stray-timers", error: "1 timer(s) still queued after the result settled" });
    await expectHealthy();
  });

  it("a legit setTimeout delay passes on virtual time (60 s of delays within a 400 ms budget)", async () => {
    const src = `export async function f(x: number) {
      const order: string[] = [];
      setTimeout(() => order.push("b"), 20);
      setTimeout(() => order.push("a"), 10);
      await new Promise((r) => setTimeout(r, 60_000));
      const t = setInterval(() => order.push("tick"), 1000);
      await new Promise((r) => setTimeout(r, 2500));
      clearInterval(t);
      return { x: x + 1, order };
    }`;
    const o = await runOne(src, "f", [41]);
    expect(o.ok && o.output).toEqual({ x: 42, order: ["a", "b", "tick", "tick"] });
    await expectHealthy();
  });

  it("an unhandled rejection neither fails the case nor the worker", async () => {
    const o = await runOne('export function f() { Promise.reject(new Error("ignored")); return "fine"; }', "f");
    expect(o.ok && o.output).toBe("fine");
    await expectHealthy();
  });

  it("a thrown Proxy whose traps loop forever -> timeout (traps run inside the budget)", async () => {
    const o = failure(await runOne("export function f() { throw new Proxy({}, { getPrototypeOf() { for (;;) {} }, get() { for (;;) {} } }); }", "f"));
    expect(o.kind).toBe("timeout");
    await expectHealthy();
  });

  it("an output getter that loops -> timeout", async () => {
    const o = failure(await runOne("export function f() { return { get x() { for (;;) {} } }; }", "f"));
    expect(o.kind).toBe("timeout");
    await expectHealthy();
  });

  it("off-heap buffers and cleanup callbacks are not available", async () => {
    const o = await runOne(
      "export function f() { const g = globalThis as any; return ['ArrayBuffer', 'Uint8Array', 'SharedArrayBuffer', 'WebAssembly', 'FinalizationRegistry'].map((k) => typeof g[k]); }",
      "f",
    );
    expect(o.ok && o.output).toEqual(["undefined", "undefined", "undefined", "undefined", "undefined"]);
  });

  it("top-level code that throws fails every case of the task with the same reason", async () => {
    const code = await bundle('export function f() { return 1; }\nthrow new Error("bad module");');
    const out = await sandbox.run(code, [
      { id: "1", tool: "f", args: [] },
      { id: "2", tool: "f", args: [] },
    ]);
    expect(out.map((o) => (o.ok ? o.output : `${o.kind}: ${o.error}`))).toEqual([
      "throw: loading the tool modules failed: Error: bad module",
      "throw: loading the tool modules failed: Error: bad module",
    ]);
    await expectHealthy();
  });

  it("top-level code that loops times out once for the whole task", async () => {
    const code = await bundle("export function f() { return 1; }\nwhile (true) {}");
    const out = await sandbox.run(code, [
      { id: "1", tool: "f", args: [] },
      { id: "2", tool: "f", args: [] },
      { id: "3", tool: "f", args: [] },
    ]);
    expect(out.map((o) => (o.ok ? o.output : o.kind))).toEqual(["timeout", "timeout", "timeout"]);
    expect(out.every((o) => !o.ok && o.error === `loading the tool modules exceeded the ${TIMEOUT_MS} ms budget`)).toBe(true);
    await expectHealthy();
  });
});

describe("what crosses the sandbox boundary is bounded", () => {
  it("a 1,000,000-space error message arrives cut to MAX_MESSAGE_CHARS, with its length", async () => {
    const o = failure(await runOne('export function f() { throw new Error("x" + " ".repeat(1_000_000) + "y"); }', "f"));
    expect(o.kind).toBe("throw");
    expect(o.error.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(o.error).toMatch(/^Error: x {100,}… \(1000009 characters\)$/);
    await expectHealthy();
  });

  it("a 256 MB message built by concatenation is measured, not copied (a copy would exhaust the heap)", async () => {
    const o = failure(await runOne('export function f() { let s = "x".repeat(1_000_000); for (let i = 0; i < 8; i++) s = s + s; throw new Error(s); }', "f"));
    expect(o).toEqual({ kind: "throw", error: "(a message of 256000007 characters, not shown)" });
    await expectHealthy();
  });

  it("a returned 256 MB string fails as too long before it is encoded: no memory death, no worker restart", async () => {
    const src = `export function big() { let s = "x".repeat(1_000_000); for (let i = 0; i < 8; i++) s = s + s; return s; }
      export function ok() { return "fine"; }`;
    const out = await sandbox.run(await bundle(src), [
      { id: "big", tool: "big", args: [] },
      { id: "ok", tool: "ok", args: [] },
    ]);
    expect(out.map((o) => (o.ok ? o.output : `${o.kind}: ${o.error}`))).toEqual([
      `throw: output is longer than ${MAX_OUTPUT_CHARS} characters once encoded`,
      "fine",
    ]);
  });

  it("outputs that are large only once walked stop early too; hostile thrown values are cut", async () => {
    const src = `export function sparse() { const a: unknown[] = []; a.length = 4_000_000_000; return a; }
      export function keys() { const o: Record<string, number> = {}; for (let i = 0; i < 40_000; i++) o["a-rather-long-key-name-" + i] = i; return o; }
      export function hostileThrow() { throw { big: "y".repeat(10_000) }; }
      export function message() { const e = new Error("m"); Object.defineProperty(e, "message", { get() { return "z".repeat(50_000); } }); throw e; }`;
    const code = await bundle(src);
    // Generous budgets: the point is the kind of failure, not the speed of a loaded machine.
    const out = await sandbox.run(code, ["sparse", "keys", "hostileThrow", "message"].map((tool) => ({ id: tool, tool, args: [], timeoutMs: 10_000 })));
    const errors = out.map((o) => (o.ok ? "returned" : `${o.kind}: ${o.error}`));
    const tooLong = `throw: output is longer than ${MAX_OUTPUT_CHARS} characters once encoded`;
    expect(errors.slice(0, 2)).toEqual([tooLong, tooLong]);
    expect(errors[2]).toBe("throw: non-error value thrown: (too long to show)");
    expect(errors[3]).toMatch(/^throw: Error: z{1900,}… \(50007 characters\)$/);
    expect(out.every((o) => o.ok || o.error.length <= MAX_MESSAGE_CHARS)).toBe(true);
  });
});

describe("normal candidates", () => {
  it("several tools, many cases, outputs in call order", async () => {
    const code = await bundle(
      `import { norm } from "../lib/norm.js";
      export function words(s: string): string[] { return norm(s).split(" "); }
      export function total(xs: number[]): number { return xs.reduce((a, b) => a + b, 0); }
      export async function later(n: number): Promise<number> { await new Promise((r) => setTimeout(r, n)); return n * 2; }`,
      { "agent/lib/norm.ts": "export const norm = (s: string) => s.trim().toLowerCase().replace(/\\s+/g, ' ');" },
    );
    const calls: CaseCall[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 3 === 0) calls.push({ id: `c${i}`, tool: "words", args: [`  Word${i}   AND more `] });
      else if (i % 3 === 1) calls.push({ id: `c${i}`, tool: "total", args: [[i, i, 1]] });
      else calls.push({ id: `c${i}`, tool: "later", args: [i] });
    }
    const out = await sandbox.run(code, calls);
    expect(out.map((o) => o.id)).toEqual(calls.map((c) => c.id));
    out.forEach((o, i) => {
      const expected = i % 3 === 0 ? [`word${i}`, "and", "more"] : i % 3 === 1 ? 2 * i + 1 : i * 2;
      expect(o.ok && o.output).toEqual(expected);
    });
  });

  it("concurrent runs of different candidates do not mix", async () => {
    const codes = await Promise.all([1, 2, 3, 4, 5].map((k) => bundle(`export function f(x: number) { return x * ${k}; }`)));
    const outs = await Promise.all(codes.map((code) => sandbox.run(code, [{ id: "x", tool: "f", args: [7] }])));
    expect(outs.map(([o]) => o?.ok && o.output)).toEqual([7, 14, 21, 28, 35]);
  });

  it("outputs JSON cannot hold survive the trip", async () => {
    const src = `export function f() {
      const cyc: any = { name: "loop" }; cyc.self = cyc;
      return { u: undefined, nan: NaN, inf: -Infinity, negZero: -0, big: 12345678901234567890n,
        map: new Map<unknown, unknown>([["k", 1], [2, [3]]]), set: new Set(["a"]), date: new Date(0),
        err: new TypeError("bad"), fn: function named() {}, arr: [1, , 3], cyc, "$evolve": "user key" };
    }
    export function nothing() {}`;
    const code = await bundle(src);
    const [o, n] = await sandbox.run(code, [
      { id: "1", tool: "f", args: [] },
      { id: "2", tool: "nothing", args: [] },
    ]);
    expect(o?.ok).toBe(true);
    const v = (o?.ok ? o.output : {}) as Record<string, unknown>;
    expect("u" in v && v["u"] === undefined).toBe(true);
    expect(v["nan"]).toBeNaN();
    expect(v["inf"]).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(v["negZero"], -0)).toBe(true);
    expect(v["big"]).toBe(12345678901234567890n);
    expect(v["map"]).toEqual(new Map<unknown, unknown>([["k", 1], [2, [3]]]));
    expect(v["set"]).toEqual(new Set(["a"]));
    expect(v["date"]).toEqual(new Date(0));
    expect(v["err"]).toEqual({ name: "TypeError", message: "bad" });
    expect(v["fn"]).toBe("[Function named]");
    expect(v["arr"]).toEqual([1, undefined, 3]);
    expect(v["cyc"]).toEqual({ name: "loop", self: "[Circular]" });
    expect(v["$evolve"]).toBe("user key");
    expect(n?.ok && "output" in n && n.output === undefined).toBe(true);
  });

  it("an unknown tool -> missing-tool naming what exists", async () => {
    const o = failure(await runOne("export function a() { return 1; }\nexport function b() { return 2; }", "c"));
    expect(o).toEqual({ kind: "missing-tool", error: 'tool "c" is not exported by any tool module (available: a, b)' });
  });

  it("module state persists across the calls of a task, and a fresh context follows a timeout", async () => {
    const code = await bundle("let n = 0;\nexport function count() { return ++n; }\nexport function hang() { for (;;) {} }");
    const out = await sandbox.run(code, ["count", "count", "hang", "count"].map((tool, i) => ({ id: String(i), tool, args: [] })));
    expect(out.map((o) => (o.ok ? o.output : o.kind))).toEqual([1, 2, "timeout", 1]);
  });

  it("coverage ids come back per case, including those hit while loading", async () => {
    const src = `declare function __evolveCov(id: number): void;
      __evolveCov(1);
      export function pick(x: number): string {
        __evolveCov(2);
        if (x > 0) { __evolveCov(3); return "pos"; }
        __evolveCov(4);
        return "non-pos";
      }`;
    const code = await bundle(src);
    const calls = [
      { id: "p", tool: "pick", args: [5] },
      { id: "n", tool: "pick", args: [-5] },
    ];
    const withCov = await sandbox.run(code, calls, { coverage: true });
    expect(withCov.map((o) => [o.id, o.ok && o.output, o.covered])).toEqual([
      ["p", "pos", [1, 2, 3]],
      ["n", "non-pos", [1, 2, 4]],
    ]);
    const without = await sandbox.run(code, calls);
    expect(without.every((o) => o.covered === undefined)).toBe(true);
  });

  it("rejects args that are not JSON data, naming the case", async () => {
    await expect(sandbox.run(await bundle("export const f = () => 1;"), [{ id: "bad-case", tool: "f", args: [1n] }])).rejects.toThrow(
      /case bad-case: args are not JSON data/,
    );
  });
});

describe("defence layers of the worker process, checked one by one", () => {
  // A probe script runs under exactly the flags of a sandbox worker (plus read access to itself).
  function probe(source: string): Record<string, unknown> {
    const dir = mkdtempSync(join(tmpdir(), "evolve-probe-"));
    try {
      const file = join(dir, "probe.mjs");
      writeFileSync(file, source);
      const flags = workerExecArgv([...workerReadPaths(), join(dir, "*")], MEMORY_MB);
      const r = spawnSync(process.execPath, [...flags, file], { env: {}, encoding: "utf8", timeout: 20_000 });
      if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const attempt = `const attempt = (f) => { try { const v = f(); return "allowed:" + String(v).slice(0, 20); } catch (e) { return "denied:" + (e.code ?? e.name); } };`;

  it("permission model, code generation flag, heap limit and empty env hold even for host code", () => {
    const target = join(scratch, "probe-write.txt");
    const out = probe(`
      import fs from "node:fs"; import cp from "node:child_process"; import vm from "node:vm"; import { Worker } from "node:worker_threads";
      ${attempt}
      console.log(JSON.stringify({
        write: attempt(() => fs.writeFileSync(${JSON.stringify(target)}, "x")),
        readOutside: attempt(() => fs.readFileSync("/etc/hostname", "utf8")),
        spawn: attempt(() => cp.execFileSync("/bin/true")),
        worker: attempt(() => new Worker("0", { eval: true })),
        hostFunction: attempt(() => new Function("return 1")()),
        vmScriptStillCompiles: attempt(() => new vm.Script("6 * 7").runInNewContext(Object.create(null))),
        env: Object.keys(process.env),
        heapLimitMb: Math.round((await import("node:v8")).getHeapStatistics().heap_size_limit / 2 ** 20),
      }));`);
    expect(out).toMatchObject({
      write: "denied:ERR_ACCESS_DENIED",
      readOutside: "denied:ERR_ACCESS_DENIED",
      spawn: "denied:ERR_ACCESS_DENIED",
      worker: "denied:ERR_ACCESS_DENIED",
      hostFunction: "denied:EvalError",
      vmScriptStillCompiles: "allowed:42",
      env: [],
    });
    expect(out["heapLimitMb"]).toBeLessThan(MEMORY_MB * 2);
    expect(existsSync(target)).toBe(false);
  });

  it("process hardening: exit, kill, binding, builtins and network entry points throw", () => {
    const harden = pathToFileURL(join(packageRoot(), "dist", "sandbox", "harden.js")).href;
    const out = probe(`
      import net from "node:net"; import http from "node:http"; import dgram from "node:dgram";
      const { hardenProcess } = await import(${JSON.stringify(harden)});
      const replaced = hardenProcess();
      ${attempt}
      console.log(JSON.stringify({
        replaced: replaced.length,
        exit: attempt(() => process.exit(7)),
        reallyExit: attempt(() => process.reallyExit(7)),
        abort: attempt(() => process.abort()),
        kill: attempt(() => process.kill(process.pid, "SIGKILL")),
        binding: attempt(() => process.binding("fs")),
        getBuiltinModule: attempt(() => process.getBuiltinModule("fs")),
        fetch: attempt(() => fetch("http://127.0.0.1:9/")),
        netConnect: attempt(() => net.connect(9, "127.0.0.1")),
        socketConnect: attempt(() => new net.Socket().connect(9, "127.0.0.1")),
        httpGet: attempt(() => http.get("http://127.0.0.1:9/")),
        udp: attempt(() => dgram.createSocket("udp4")),
        listen: attempt(() => net.createServer().listen(0)),
      }));`);
    expect(out["replaced"]).toBeGreaterThan(20);
    for (const key of ["exit", "reallyExit", "abort", "kill", "binding", "getBuiltinModule", "fetch", "netConnect", "socketConnect", "httpGet", "udp", "listen"]) {
      expect([key, out[key]]).toEqual([key, "denied:Error"]);
    }
  });

  it("a host-realm object inside a context cannot reach process: the code-generation flag stops it", () => {
    // Node's own dynamic-import rejection is such an object; the build lowers import(), this is the
    // next layer if one ever slips in.
    const out = probe(`
      import vm from "node:vm";
      const ctx = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false }, microtaskMode: "afterEvaluate" });
      new vm.Script('globalThis.r = "pending"; import("node:fs").catch((e) => { try { globalThis.r = "ESCAPED " + e.constructor.constructor("return process")().pid; } catch (e2) { globalThis.r = "stopped: " + e2.name + " hostError=" + (!(e instanceof Error)); } });').runInContext(ctx);
      console.log(JSON.stringify({ r: vm.runInContext("r", ctx) }));`);
    expect(out).toEqual({ r: "stopped: EvalError hostError=true" });
  });
});
