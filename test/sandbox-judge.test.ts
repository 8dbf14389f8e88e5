/**
 * The judge cannot be fooled through the sandbox: results are bound to the call that produced them,
 * the driver is out of the candidate's reach, and a candidate sees the same globals in a golden run
 * as in an `evolve ask` tool call. Real worker processes, the real evaluator, the real ask loop
 * (against a local HTTP server speaking Ollama's wire format).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../sandbox/build.js";
import { createSandbox, type Sandbox } from "../sandbox/pool.js";
import { createEvaluator } from "../golden-tests/evaluate.js";
import { loadSuite } from "../golden-tests/index.js";
import { exampleFiles } from "../workspace/init.js";
import { parseConfig } from "../workspace/config.js";
import { prepareAgent, runAgent } from "../agent/runtime/run.js";
import { createOllamaProvider } from "../agent/llm/ollama.js";
import { evaluateTools } from "./evaluate-helpers.js";
import { fakeOllama, type FakeServer } from "./llm-fake-servers.js";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ workers: 1, timeoutMs: 1000, memoryMb: 64 });
});
afterAll(async () => {
  await sandbox.destroy();
});

const suiteYaml = (cases: string) => `cases:\n${cases}`;

const evaluate = (tools: string, yaml: string) => evaluateTools(sandbox, tools, yaml);

describe("results are bound to their call", () => {
  // The attack of issue 10: a tool drives the driver itself, so every later output would pair with
  // the wrong case. It also hunts for any callable global the driver might have left under another name.
  const attacker = `
    export function attack(): string {
      const g = globalThis as any;
      const poked: string[] = [];
      try { g.__evolve.start(); poked.push("start"); } catch {}
      try { g.__evolve.step(); poked.push("step"); } catch {}
      for (const k of Object.getOwnPropertyNames(g)) {
        if (/^__/.test(k) && typeof g[k] === "function") { try { g[k](); poked.push(k); } catch {} }
      }
      return poked.join(",") || "nothing to poke";
    }
    export function echo(s: string): string { return s + "-out"; }`;

  it("a tool that calls the driver's globals cannot shift later outputs onto other cases", async () => {
    const yaml = suiteYaml(`
  - id: attack
    tool: attack
    args: []
    assert: [{ type: equals, value: "nothing to poke" }]
  - id: b
    tool: echo
    args: ["b"]
    assert: [{ type: equals, value: "b-out" }]
  - id: c-must-fail
    tool: echo
    args: ["c"]
    assert: [{ type: equals, value: "b-out" }]
  - id: d
    tool: echo
    args: ["d"]
    assert: [{ type: equals, value: "d-out" }]
`);
    const { measurement, outcomes } = await evaluate(attacker, yaml);
    expect(outcomes.map((o) => [o.id, o.ok ? o.output : `${o.kind}: ${o.error}`])).toEqual([
      ["attack", "nothing to poke"],
      ["b", "b-out"],
      ["c-must-fail", "c-out"],
      ["d", "d-out"],
    ]);
    expect(measurement.results.map((r) => [r.id, r.pass])).toEqual([
      ["attack", true],
      ["b", true],
      ["c-must-fail", false],
      ["d", true],
    ]);
  });

  it("nothing of the driver is reachable through callers, stacks or the loader's parameters", async () => {
    const src = `
      declare const __evolveExport: (t: unknown) => void;
      declare const __evolveCov: (id: number) => void;
      let exportLater: ((t: unknown) => void) | undefined;
      try { exportLater = __evolveExport; } catch {}
      export function reach(): unknown {
        const found: string[] = [];
        const E = Error as any;
        const saved = E.prepareStackTrace;
        E.prepareStackTrace = (_e: unknown, sites: any[]) => sites;
        const sites = (new Error("x") as any).stack as any[];
        E.prepareStackTrace = saved;
        for (const s of sites) {
          const fn = s.getFunction?.();
          const self = s.getThis?.();
          const file = String(s.getFileName?.() ?? "");
          if (!file.startsWith("candidate")) {
            if (fn !== undefined) found.push("function of " + file);
            if (self !== undefined && self !== globalThis) found.push("this of " + file);
          }
        }
        // The bundle is sloppy code, so a tool may ask who called it: the driver is strict, which hides it.
        let caller: unknown;
        try { caller = (reach as any).caller; } catch { caller = "throws"; }
        if (typeof caller === "function") found.push("caller");
        // The loader's hand-over is closed once the modules have loaded.
        exportLater?.({ reach: () => "hijacked" });
        return found;
      }
      export function after(): string { return "still the real tool"; }`;
    const yaml = suiteYaml(`
  - id: reach
    tool: reach
    args: []
    assert: [{ type: equals, value: [] }]
  - id: after
    tool: after
    args: []
    assert: [{ type: equals, value: "still the real tool" }]
`);
    const { outcomes } = await evaluate(src, yaml);
    expect(outcomes.map((o) => (o.ok ? o.output : `${o.kind}: ${o.error}`))).toEqual([[], "still the real tool"]);
  });
});

describe("a candidate cannot tell a golden run from real use by any global", () => {
  // Everything candidate code can observe about its surroundings without calling out.
  const probe = `
    export function probe(): unknown {
      const g = globalThis as any;
      const describe = (o: object) => Object.getOwnPropertyNames(o).sort().map((k) => {
        const d = Object.getOwnPropertyDescriptor(o, k)!;
        const kind = "value" in d ? typeof d.value : "accessor";
        return k + ":" + kind + ":" + (d.enumerable ? "e" : "") + (d.writable ? "w" : "") + (d.configurable ? "c" : "");
      });
      const chain: string[][] = [];
      for (let p = Object.getPrototypeOf(g); p; p = Object.getPrototypeOf(p)) chain.push(describe(p));
      const stack = String(new Error("probe").stack).split("\\n").slice(1).map((l) => l.replace(/:\\d+:\\d+\\)?$/, "").trim());
      const t = setTimeout(() => {}, 5);
      clearTimeout(t);
      return {
        globals: describe(g),
        symbols: Object.getOwnPropertySymbols(g).map(String),
        chain,
        stack,
        timerId: t,
        extensible: Object.isExtensible(g),
        params: [typeof (globalThis as any).__evolveCov, typeof (globalThis as any).__evolveExport],
      };
    }`;

  let fake: FakeServer;
  beforeAll(async () => {
    fake = await fakeOllama();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("the same globals, prototypes, stack and timers in a golden case and in an evolve ask tool call", async () => {
    const files = new Map(exampleFiles("textkit"));
    files.set("agent/tools/probe.ts", probe);
    files.set("golden-tests/probe.yaml", suiteYaml(`
  - id: probe
    tool: probe
    args: []
    assert: [{ type: equals, value: 0 }]
`));
    const suite = loadSuite(files);
    const config = parseConfig(files.get("evolve.config.yaml")!);
    const evaluator = createEvaluator(suite, sandbox, config.sandbox);
    const built = await evaluator.build(files);
    if (!built.ok) throw new Error(built.reason);
    const golden = (await evaluator.run(built.code)).outcomes.find((o) => o.id === "probe");
    expect(golden?.ok).toBe(true);

    fake.plan = (n) => ({ chunks: [JSON.stringify(n === 0 ? { action: "tool", tool: "probe", args: [] } : { action: "answer", text: "done" })] });
    const provider = createOllamaProvider({ model: "llama3", baseUrl: fake.url });
    try {
      const agent = await prepareAgent(files, config);
      const r = await runAgent({ agent, provider, sandbox, request: "probe", maxSteps: 2 });
      const step = r.steps.find((s) => s.kind === "tool");
      expect(step && step.kind === "tool" && step.ok).toBe(true);
      const real = step && step.kind === "tool" && step.ok ? step.output : undefined;
      const seen = (golden as { output: { globals: string[] } }).output;
      // The driver's names are gone, whatever they are called.
      expect(seen.globals.filter((k) => /evolve|^__/i.test(k))).toEqual([]);
      expect(real).toEqual(seen);
    } finally {
      await provider.close();
    }
  });
});
