/**
 * Edit operations on the textkit tree, and the LLM proposer end to end: with the real test model
 * (nonsense answers that must still be schema-valid and end applied or refused, deterministically)
 * and with a local server speaking Ollama's wire format that returns a hand-written repair.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLlamaCppProvider } from "../agent/llm/llama-cpp.js";
import { createOllamaProvider } from "../agent/llm/ollama.js";
import type { Provider } from "../agent/llm/provider.js";
import { Ajv } from "ajv";
import { applyEditOps, EDIT_OPS_SCHEMA, editOpsSchema, editTargets, type EditOp } from "../evolution/edit-ops.js";
import { implicated, proposeWithLlm, proposerPrompt, type FailingCase, type ProposerContext } from "../evolution/llm-proposer.js";
import { flippedCases, loadTreeSetup, measureRuns, withEvaluator } from "../history/measure-tree.js";
import type { AttemptRecord } from "../ledger/attempts.js";
import { buildSnapshot } from "../snapshots/snapshot.js";
import { fakeOllama } from "./llm-fake-servers.js";
import { ROOT } from "./helpers.js";
import { exampleFiles } from "../workspace/init.js";


const files = exampleFiles("textkit");
const evolvable = (p: string) => p.startsWith("agent/");
const TEXT = "agent/tools/text.ts";

function applied(ops: EditOp[]) {
  const r = applyEditOps(files, ops, { evolvable });
  if (!r.ok) throw new Error(r.reason);
  return r;
}

describe("applyEditOps", () => {
  it("replace-function-body", () => {
    const r = applied([{ op: "replace-function-body", file: "agent/tools/numbers.ts", function: "clamp", body: "return Math.min(Math.max(value, min), max);" }]);
    expect(r.changed).toEqual(["agent/tools/numbers.ts"]);
    expect(r.files.get("agent/tools/numbers.ts")).toContain("export function clamp(value: number, min: number, max: number): number {\n  return Math.min(Math.max(value, min), max);\n}");
    expect(r.description).toBe("agent/tools/numbers.ts clamp: replace body with `return Math.min(Math.max(value, min), max);`");
    const arrow = applyEditOps(new Map([["a.ts", "export const f = (x: number) => x + 1;\n"]]), [{ op: "replace-function-body", file: "a.ts", function: "f", body: "const y = x * 2;\nreturn y;" }]);
    expect(arrow.ok && arrow.files.get("a.ts")).toBe("export const f = (x: number) => {\n  const y = x * 2;\n  return y;\n};\n");
  });

  it("insert-statements and replace-statements by statement index", () => {
    const ins = applied([{ op: "insert-statements", file: TEXT, function: "truncate", index: 0, code: "if (max <= 0) return \"\";" }]);
    expect(ins.files.get(TEXT)).toContain('export function truncate(text: string, max: number): string {\n  if (max <= 0) return "";\n  if (text.length <= max) {');
    const rep = applied([{ op: "replace-statements", file: TEXT, function: "truncate", index: 1, count: 1, code: "const cut = text.slice(0, max - 1).trimEnd();" }]);
    expect(rep.files.get(TEXT)).toContain("  }\n  const cut = text.slice(0, max - 1).trimEnd();\n  return cut + \"…\";\n}");
    const del = applied([{ op: "replace-statements", file: "agent/tools/numbers.ts", function: "median", index: 0, count: 1, code: "" }]);
    expect(del.files.get("agent/tools/numbers.ts")).not.toContain("median of an empty list");
  });

  it("edit-prompt-section, set-param and add-tool", () => {
    const prompt = applied([{ op: "edit-prompt-section", file: "agent/prompts/system.md", heading: "", text: "You are a terse notes assistant." }]);
    expect(prompt.files.get("agent/prompts/system.md")).toBe("You are a terse notes assistant.\n");
    const withHeadings = new Map(files).set("agent/prompts/system.md", "Intro\n\n## Rules\nold rule\n\n## Style\nbe brief\n");
    const sec = applyEditOps(withHeadings, [{ op: "edit-prompt-section", file: "agent/prompts/system.md", heading: "## rules", text: "new rule" }]);
    expect(sec.ok && sec.files.get("agent/prompts/system.md")).toBe("Intro\n\n## Rules\nnew rule\n\n## Style\nbe brief\n");
    const param = applied([{ op: "set-param", file: "agent/params.json", key: "maxResults", value: 3 }]);
    expect(param.files.get("agent/params.json")).toBe('{\n  "maxResults": 3,\n  "titleWeight": 2,\n  "tagWeight": 3\n}\n'.slice(0, files.get("agent/params.json")!.length));
    const tool = applied([{ op: "add-tool", file: TEXT, name: "shout", code: "/** Upper case. */\nexport function shout(text: string): string {\n  return text.toUpperCase();\n}" }]);
    expect(tool.files.get(TEXT)).toMatch(/return matches === null \? 0 : matches\.length;\n}\n\n\/\*\* Upper case\. \*\/\nexport function shout\(text: string\): string \{\n  return text\.toUpperCase\(\);\n}\n$/);
  });

  it("refuses a whole set when one op fails, naming the op and why, and changes nothing", () => {
    const good: EditOp = { op: "set-param", file: "agent/params.json", key: "maxResults", value: 3 };
    const cases: Array<[unknown[], RegExp]> = [
      [[good, { op: "replace-statements", file: TEXT, function: "truncate", index: 2, count: 5, code: "" }], /^ops\[1\] \(replace-statements\): statements 2\.\.6 are outside 0\.\.2 \(truncate has 3 statements\)$/],
      [[good, { op: "replace-function-body", file: TEXT, function: "nope", body: "return 1;" }], /ops\[1\].*has no function "nope" \(it has: slugify, truncate, wordCount\)/],
      [[good, { op: "replace-function-body", file: TEXT, function: "truncate", body: "return 1; } export function evil() {" }], /^ops\[1\]\.body: the code (does not parse|is not a list of statements)/],
      [[good, { op: "insert-statements", file: TEXT, function: "truncate", index: 0, code: "let x = ;" }], /ops\[1\]\.code: the code does not parse as statements/],
      [[good, { op: "set-param", file: "agent/params.json", key: "maxResults", value: "three" }], /ops\[1\]\.value: agent\/params\.json maxResults is a number; refusing to make it a string/],
      [[good, { op: "edit-prompt-section", file: "agent/prompts/system.md", heading: "Rules", text: "x" }], /ops\[1\]\.heading: .*has no section "Rules" \(it has: ""\)/],
      [[good, { op: "add-tool", file: TEXT, name: "slugify", code: "export function slugify(): string { return \"\"; }" }], /ops\[1\]\.name: agent\/tools\/text\.ts already declares slugify/],
      [[good, { op: "set-param", file: "evolve.config.yaml", key: "x", value: 1 }], /ops\[1\] \(set-param\): evolve\.config\.yaml is not evolvable/],
      [[good, { op: "rename-everything", file: TEXT }], /^ops\[1\]\.op: expected one of replace-function-body, .* got "rename-everything"$/],
      [[good, { op: "insert-statements", file: TEXT, function: "truncate", index: "0", code: "x();" }], /^ops\[1\]\.index: expected an integer, got "0"$/],
    ];
    for (const [ops, why] of cases) {
      const r = applyEditOps(files, ops, { evolvable });
      expect(r.ok, JSON.stringify(ops[1])).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(why);
    }
    expect(applyEditOps(files, [{ op: "set-param", file: "agent/params.json", key: "maxResults", value: 6 }])).toEqual({ ok: false, reason: "the operations change nothing" });
  });

  it("the schema offers what exists as enums, and ajv accepts what the ops accept", () => {
    const t = editTargets(files, evolvable);
    expect(t.codeFiles).toEqual(["agent/tools/notes.ts", "agent/tools/numbers.ts", TEXT]);
    expect(t.functions).toContain("truncate");
    expect(t.paramKeys).toEqual(["maxResults", "tagWeight", "titleWeight"]);
    const validate = new Ajv({ strict: false }).compile(editOpsSchema(t, { maxOps: 2, maxText: 80 }));
    expect(validate({ ops: [{ op: "set-param", file: "agent/params.json", key: "maxResults", value: 3 }] })).toBe(true);
    expect(validate({ ops: [{ op: "set-param", file: "agent/params.json", key: "nope", value: 3 }] })).toBe(false);
    expect(new Ajv({ strict: false }).compile(EDIT_OPS_SCHEMA)({ ops: [{ op: "add-tool", file: "x.ts", name: "f", code: "" }] })).toBe(true);
  });
});

const failingTruncate: FailingCase[] = [
  { id: "truncate-long", tool: "truncate", input: ["Hello wonderful world", 10], expected: "Hello won…", actual: "Hello wond…", reason: "expected \"Hello won…\", got \"Hello wond…\"" },
];
const pastAttempt: AttemptRecord = {
  generation: 1, base: "0".repeat(40), tree: "1".repeat(40), operator: "boundary", proposer: "builtin",
  description: `${TEXT}:19:27 boundary: \`max\` -> \`max + 1\``, diff: `--- a/${TEXT}\n+++ b/${TEXT}\n@@ -19 +19 @@\n-  const cut = text.slice(0, max).trimEnd();\n+  const cut = text.slice(0, max + 1).trimEnd();\n`,
  score: 0.5, holdout: null, reason: "score fell 0.61 -> 0.5", metrics: {}, at: "2025-01-01T00:00:00.000Z",
};
const context: ProposerContext = { files, evolvable, failing: failingTruncate, reflection: ["truncate returns one character too many"], pastAttempts: [pastAttempt], snapshotBudget: 600 };

describe("the proposer's prompt", () => {
  it("holds the snapshot, the failing case, the reflection and the past attempt with its reason", () => {
    expect(implicated(files, evolvable, failingTruncate)).toEqual({ files: [TEXT], functions: ["truncate"] });
    const snapshot = buildSnapshot(files, { evolvable, focus: { files: [TEXT], functions: ["truncate"] }, tokenBudget: 600 });
    const [system, user] = proposerPrompt(context, snapshot);
    expect(system?.role).toBe("system");
    expect(user?.content).toContain(snapshot.text.trimEnd());
    expect(user?.content).toContain('- truncate-long: truncate(["Hello wonderful world",10])\n  expected: "Hello won…"\n  actual: "Hello wond…"');
    expect(user?.content).toContain("- truncate returns one character too many");
    expect(user?.content).toContain("rejected: score fell 0.61 -> 0.5");
    expect(user?.content).toContain("+  const cut = text.slice(0, max + 1).trimEnd();");
  });
});

describe("proposeWithLlm against a local Ollama-compatible server", () => {
  it("turns a hand-written valid op set into a candidate whose files repair truncate", async () => {
    const server = await fakeOllama();
    try {
      const answer = JSON.stringify({ ops: [{ op: "replace-statements", file: TEXT, function: "truncate", index: 1, count: 1, code: "const cut = text.slice(0, max - 1).trimEnd();" }] });
      server.plan = () => ({ chunks: [answer.slice(0, 40), answer.slice(40)] });
      const provider = createOllamaProvider({ baseUrl: server.url, model: "llama3", http: { retries: 0, timeoutMs: 5000 } });
      const [p, q] = await proposeWithLlm(provider, context, { count: 2, temperature: 0, seed: 7 });
      const body = server.seen.find((s) => s.path === "/api/chat" || s.path === "/api/generate")?.body;
      expect(body.format.properties.ops.items.oneOf).toHaveLength(6);
      expect(JSON.stringify(body)).toContain("truncate-long");
      expect(p?.ok && q?.ok).toBe(true);
      if (!p?.ok) throw new Error(p?.reason);
      expect(p.candidate.changed).toEqual([TEXT]);
      expect(p.candidate.description).toBe(`${TEXT} truncate: replace statements 1..1 with \`const cut = text.slice(0, max - 1).trimEnd();\``);
      const setup = await loadTreeSetup(files, "textkit");
      const { base, cand } = await withEvaluator(setup, async (ev) => {
        const b = await measureRuns(ev, files, 1);
        const c = await measureRuns(ev, p.candidate.files, 1);
        if (!b.ok || !c.ok) throw new Error("build failed");
        return { base: b.runs[0]!, cand: c.runs[0]! };
      });
      const flips = flippedCases(base, cand);
      expect(flips.fixed).toEqual(expect.arrayContaining(["truncate-long", "truncate-fits-limit", "truncate-holdout"]));
      expect(flips.broken).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("records an answer that is not valid for the schema, or not applicable, as ok:false with the raw text", async () => {
    const server = await fakeOllama();
    try {
      const bad = JSON.stringify({ ops: [{ op: "replace-statements", file: TEXT, function: "truncate", index: 9, count: 1, code: "" }] });
      server.plan = (n) => ({ chunks: n === 0 ? ['{"ops": [{"op": "delete-all"}]}'] : n === 1 ? ["not json"] : [bad] });
      const provider = createOllamaProvider({ baseUrl: server.url, model: "llama3", http: { retries: 0, timeoutMs: 5000 } });
      const out = await proposeWithLlm(provider, context, { count: 3, temperature: 0, seed: 1 });
      expect(out.map((o) => o.ok)).toEqual([false, false, false]);
      const reasons = out.map((o) => (o.ok ? "" : o.reason));
      expect(reasons[0]).toMatch(/^the output does not match the schema: /);
      expect(reasons[1]).toMatch(/^the output is not valid JSON/);
      expect(reasons[2]).toBe("ops[0] (replace-statements): statements 9..9 are outside 0..2 (truncate has 3 statements)");
      expect(out[1]?.raw).toBe("not json");
    } finally {
      await server.close();
    }
  });
});

const MODEL = path.resolve(ROOT, "../shared/models/stories260K.gguf");
if (!existsSync(MODEL)) {
  describe.skip("proposeWithLlm with the real model", () => {
    it.skip(`model file not found at ${MODEL} (CI clones the repo beside shared/)`, () => {});
  });
} else {
  describe("proposeWithLlm with the real model", { timeout: 60_000 }, () => {
    let provider: Provider;
    afterAll(async () => {
      await provider?.close();
    });
    it("returns schema-valid answers, each applied or refused with a reason, the same for the same seed", async () => {
      provider = createLlamaCppProvider({ modelPath: MODEL, threads: 1, contextSize: 2048 });
      const small: ProposerContext = { ...context, snapshotBudget: 150, pastAttempts: [] };
      const options = { count: 2, temperature: 0.8, seed: 42, maxTokens: 400, maxOps: 1, maxText: 60 };
      const first = await proposeWithLlm(provider, small, options);
      const again = await proposeWithLlm(provider, small, options);
      expect(first).toHaveLength(2);
      const validate = new Ajv({ strict: false }).compile(editOpsSchema(editTargets(files, evolvable), { maxOps: 1, maxText: 60 }));
      for (const p of first) {
        expect(validate(JSON.parse(p.raw)), p.raw).toBe(true);
        if (p.ok) expect(p.candidate.changed.length).toBeGreaterThan(0);
        else expect(p.reason.length).toBeGreaterThan(10);
      }
      expect(again.map((p) => [p.ok, p.raw, p.ok ? p.candidate.description : p.reason])).toEqual(first.map((p) => [p.ok, p.raw, p.ok ? p.candidate.description : p.reason]));
      console.log(first.map((p) => (p.ok ? `applied: ${p.candidate.description}` : `refused: ${p.reason}`)).join("\n"));
    });
  });
}
