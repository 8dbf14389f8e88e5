/**
 * docs/writing-golden-cases.md runs: every fenced block whose first line names a file becomes that
 * file of a workspace, and the guide's cases must all pass in the real sandbox with the guide's
 * config (adapters included). Editing the guide into something false fails this test.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";
import { loadSuite, prepareCustomAssertions } from "../golden-tests/index.js";
import { createEvaluator } from "../golden-tests/evaluate.js";
import { createSandbox } from "../sandbox/pool.js";
import { isEvolvable, parseConfig } from "../workspace/config.js";

/** path -> text of every ```lang block starting with `// path` or `# path`. */
export function guideFiles(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of markdown.matchAll(/^```(?:ts|js|yaml)\n((?:\/\/|#) ([\w./-]+\.(?:ts|js|yaml))\n[\s\S]*?)^```$/gm)) {
    const [, body, file] = m;
    if (files.has(file!)) throw new Error(`the guide names ${file} twice`);
    files.set(file!, body!);
  }
  return files;
}

describe("docs/writing-golden-cases.md", () => {
  const files = guideFiles(readFileSync(path.join(ROOT, "docs", "writing-golden-cases.md"), "utf8"));

  it("has its examples as files", () => {
    expect([...files.keys()].sort()).toEqual([
      "adapters/graph-cases.ts",
      "agent/tools/graph.ts",
      "agent/tools/text.ts",
      "evolve.config.yaml",
      "golden-tests/assertions/map-entries.js",
      "golden-tests/assertions/short-tags.js",
      "golden-tests/graph.yaml",
      "golden-tests/lists.yaml",
      "golden-tests/text.yaml",
    ]);
  });

  it("every case of the guide passes, with the guide's config; the adapter is not evolvable", async () => {
    const config = parseConfig(files.get("evolve.config.yaml")!);
    expect(isEvolvable(config, "adapters/graph-cases.ts")).toBe(false);
    expect(isEvolvable(config, "agent/tools/graph.ts")).toBe(true);
    const suite = loadSuite(files, "golden-tests", { maxCaseTimeoutMs: config.sandbox.maxCaseTimeoutMs });
    await prepareCustomAssertions(suite);
    expect(suite.cases.length).toBe(13);
    const sandbox = createSandbox({ workers: 1, timeoutMs: config.sandbox.timeoutMs, memoryMb: 64 });
    try {
      const evaluator = createEvaluator(suite, sandbox, config.sandbox);
      const built = await evaluator.build(files);
      if (!built.ok) throw new Error(built.reason);
      const { measurement } = await evaluator.run(built.code);
      expect(measurement.results.filter((r) => !r.pass)).toEqual([]);
      expect(measurement.holdout).toBe(1);
    } finally {
      await sandbox.destroy();
    }
  }, 60_000);
});
