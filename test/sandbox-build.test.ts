import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildOptions } from "../sandbox/build.js";
import { decodeOutput } from "../sandbox/codec.js";
import { compileCandidate, runCalls } from "../sandbox/context.js";

const fm = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));

async function built(files: Map<string, string>, options?: BuildOptions) {
  const r = await buildBundle(files, options);
  if (!r.ok) throw new Error(`expected a bundle, got: ${r.reason}`);
  return r;
}

/** Run calls on a bundle in this process (same vm code the workers use). */
function run(code: string, calls: [string, unknown[]][]): unknown[] {
  const script = compileCandidate(code);
  const results = runCalls(
    script,
    calls.map(([tool, args], i) => ({ id: String(i), tool, argsJson: JSON.stringify(args), timeoutMs: 1000 })),
    1000,
    false,
  );
  return results.map((r) => (r.status === "ok" ? decodeOutput(r.output ?? "") : `${r.status}: ${r.error}`));
}

async function refusal(files: Map<string, string>, options?: BuildOptions) {
  const r = await buildBundle(files, options);
  if (r.ok) throw new Error("expected the build to be refused");
  return r;
}

describe("buildBundle from memory", () => {
  it("bundles relative imports (NodeNext .js -> .ts), params.json and a prompt text import", async () => {
    const files = fm({
      "agent/tools/text.ts": [
        'import params from "../params.json";',
        'import system from "../prompts/system.md";',
        'import { shout } from "./shared.js";',
        'import { words } from "../lib/words.js";',
        "export function greet(name: string): string { return shout(`${params.greeting}, ${name}`); }",
        "export function prompt(): string { return system.trim(); }",
        "export function count(s: string): number { return words(s).length; }",
      ].join("\n"),
      "agent/tools/shared.ts": "export const shout = (s: string): string => s.toUpperCase() + '!';",
      "agent/lib/words.ts": "export function words(s: string): string[] { return s.split(/\\s+/).filter(Boolean); }",
      "agent/params.json": '{ "greeting": "hello" }',
      "agent/prompts/system.md": "You are a careful agent.\n",
      "README.md": "not part of the bundle",
    });
    const r = await built(files);
    expect(r.tools).toEqual(["count", "greet", "prompt", "shout"]);
    expect(r.ms).toBeGreaterThan(0);
    expect(run(r.code, [["greet", ["ada"]], ["prompt", []], ["count", ["a b  c"]]])).toEqual([
      "HELLO, ADA!",
      "You are a careful agent.",
      3,
    ]);
  });

  it("honours toolGlobs and ignores default exports and types", async () => {
    const files = fm({
      "src/skills/a.ts": "export type T = string; export default function hidden() { return 0; } export function visible(): T { return 'v'; }",
      "agent/tools/b.ts": "export function notSelected() { return 1; }",
    });
    const r = await built(files, { toolGlobs: ["src/skills/*.ts"] });
    expect(r.tools).toEqual(["visible"]);
    expect(run(r.code, [["visible", []], ["hidden", []]])).toEqual(["v", expect.stringMatching(/^missing-tool: tool "hidden"/)]);
  });

  it("finds exports through re-exports", async () => {
    const files = fm({
      "agent/tools/index.ts": 'export * from "../lib/math.js";\nexport { twice as double } from "../lib/math.js";',
      "agent/lib/math.ts": "export const inc = (n: number) => n + 1; export function twice(n: number) { return 2 * n; }",
    });
    const r = await built(files);
    expect(r.tools).toEqual(["double", "inc", "twice"]);
    expect(run(r.code, [["double", [4]], ["inc", [4]]])).toEqual([8, 5]);
  });

  it("lists a non-function export but does not serve it as a tool", async () => {
    const r = await built(fm({ "agent/tools/a.ts": "export const LIMIT = 3; export function f() { return LIMIT; }" }));
    expect(r.tools).toEqual(["LIMIT", "f"]);
    expect(run(r.code, [["f", []], ["LIMIT", []]])).toEqual([3, expect.stringMatching(/^missing-tool/)]);
  });

  it("refuses node:fs naming file, line and specifier", async () => {
    const r = await refusal(
      fm({ "agent/tools/text.ts": 'export const x = 1;\n\nimport { readFileSync } from "node:fs";\nexport function f() { return readFileSync("/etc/passwd", "utf8"); }' }),
    );
    expect(r.reason).toBe('agent/tools/text.ts:3: import "node:fs" refused: node builtins are not available to agent tools');
    expect(r.file).toBe("agent/tools/text.ts");
    expect(r.line).toBe(3);
  });

  it("refuses child_process, also through require() and side-effect imports", async () => {
    const viaImport = await refusal(fm({ "agent/tools/a.ts": 'import "child_process";\nexport function f() { return 1; }' }));
    expect(viaImport.reason).toBe('agent/tools/a.ts:1: import "child_process" refused: node builtins are not available to agent tools');
    const viaRequire = await refusal(
      fm({ "agent/tools/a.ts": 'declare const require: (s: string) => any;\nexport function f() { return require("child_process").execSync("id"); }' }),
    );
    expect(viaRequire.reason).toMatch(/^agent\/tools\/a\.ts:2: import "child_process" refused/);
    const nested = await refusal(
      fm({ "agent/tools/a.ts": 'import { g } from "./b.js";\nexport const f = g;', "agent/tools/b.ts": 'import os from "os";\nexport const g = () => os.cpus();' }),
    );
    expect(nested.reason).toMatch(/^agent\/tools\/b\.ts:1: import "os" refused: node builtins/);
  });

  it("refuses a bare package unless allowImports lists it", async () => {
    const files = fm({ "agent/tools/a.ts": 'import { shout } from "loud";\nexport function f(s: string) { return shout(s); }' });
    const r = await refusal(files);
    expect(r.reason).toBe('agent/tools/a.ts:1: import "loud" refused: package is not in allowImports');
  });

  describe("with packages on disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "evolve-build-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const pkg = (name: string, source: string) => {
      mkdirSync(join(dir, "node_modules", name), { recursive: true });
      writeFileSync(join(dir, "node_modules", name, "package.json"), JSON.stringify({ name, type: "module", main: "index.js" }));
      writeFileSync(join(dir, "node_modules", name, "index.js"), source);
    };
    pkg("loud", "export function shout(s) { return s.toUpperCase(); }\n");
    pkg("sneaky", 'import fs from "fs";\nexport const read = () => fs.readFileSync("/etc/passwd");\n');

    it("bundles an allowed package", async () => {
      const files = fm({ "agent/tools/a.ts": 'import { shout } from "loud";\nexport function f(s: string) { return shout(s); }' });
      const r = await built(files, { allowImports: ["loud"], packageDir: dir });
      expect(run(r.code, [["f", ["hi"]]])).toEqual(["HI"]);
    });

    it("refuses a builtin imported by an allowed package", async () => {
      const files = fm({ "agent/tools/a.ts": 'import { read } from "sneaky";\nexport function f() { return read(); }' });
      const r = await refusal(files, { allowImports: ["sneaky"], packageDir: dir });
      expect(r.reason).toMatch(/sneaky[\\/]index\.js:1: import "fs" refused: node builtins are not available/);
    });
  });

  it("refuses paths outside the FileMap", async () => {
    const outside = await refusal(fm({ "agent/tools/a.ts": 'import x from "../../../etc/passwd.json";\nexport const f = () => x;' }));
    expect(outside.reason).toBe('agent/tools/a.ts:1: import "../../../etc/passwd.json" refused: path is outside the workspace');
    const missing = await refusal(fm({ "agent/tools/a.ts": '\nimport { g } from "./gone.js";\nexport const f = () => g();' }));
    expect(missing.reason).toBe('agent/tools/a.ts:2: import "./gone.js" refused: agent/tools/gone.js is not among the candidate\'s files');
    const absolute = await refusal(fm({ "agent/tools/a.ts": 'import x from "/etc/hostname";\nexport const f = () => x;' }));
    expect(absolute.reason).toMatch(/^agent\/tools\/a\.ts:1: import "\/etc\/hostname" refused: absolute paths/);
  });

  it("refuses the same export name in two tool files, naming both", async () => {
    const r = await refusal(
      fm({
        "agent/tools/a.ts": "export function search(q: string) { return q; }",
        "agent/tools/b.ts": "export const search = (q: string) => q + q;",
      }),
    );
    expect(r.reason).toBe('tool "search" is exported by both agent/tools/a.ts and agent/tools/b.ts');
  });

  it("reports a TypeScript syntax error with file and line", async () => {
    const r = await refusal(
      fm({
        "agent/tools/ok.ts": "export const fine = () => 1;",
        "agent/tools/bad.ts": "export function f(a: number) {\n  const b = a +;\n  return b;\n}",
      }),
    );
    expect(r.file).toBe("agent/tools/bad.ts");
    expect(r.line).toBe(2);
    expect(r.reason).toMatch(/^agent\/tools\/bad\.ts:2: Unexpected ";"/);
  });

  it("reports invalid JSON with file and line", async () => {
    const r = await refusal(fm({ "agent/tools/a.ts": 'import p from "../params.json";\nexport const f = () => p;', "agent/params.json": '{\n  "a": 1,\n  oops\n}' }));
    expect(r.file).toBe("agent/params.json");
    expect(r.line).toBe(3);
  });

  it("fails clearly when no file matches the tool globs", async () => {
    const r = await refusal(fm({ "agent/other.ts": "export const f = () => 1;" }));
    expect(r.reason).toBe("no tool modules match agent/tools/*.ts");
  });

  it("leaves no dynamic import() in the bundle (it would reach the host loader)", async () => {
    const r = await built(fm({ "agent/tools/a.ts": "export async function f(m: string) { return await import(m); }" }));
    expect(r.code).not.toMatch(/\bimport\s*\(/);
    expect(run(r.code, [["f", ["node:fs"]]])).toEqual([expect.stringMatching(/^throw: Error: Dynamic require of "node:fs" is not supported/)]);
  });

  it("is deterministic and sees edits of the FileMap between builds", async () => {
    const a = fm({ "agent/tools/a.ts": "export const f = () => 1;" });
    const b = fm({ "agent/tools/a.ts": "export const f = () => 2;" });
    const [r1, r2, r3] = [await built(a), await built(b), await built(a)];
    expect(r1.code).toBe(r3.code);
    expect(run(r2.code, [["f", []]])).toEqual([2]);
    expect(run(r3.code, [["f", []]])).toEqual([1]);
  });
});
