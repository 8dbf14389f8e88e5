/**
 * The evaluator for tests that judge tool files directly: kept apart from helpers.ts so that the many
 * test files importing those helpers do not load the compiler (esbuild) with them.
 */
import { createEvaluator } from "../golden-tests/evaluate.js";
import { loadSuite } from "../golden-tests/index.js";
import type { Sandbox } from "../sandbox/pool.js";

/** One golden run of `tools` (agent/tools/t.ts) against the cases in `yaml`, through the real evaluator on `sandbox`. */
export async function evaluateTools(sandbox: Sandbox, tools: string, yaml: string) {
  const files = new Map([
    ["agent/tools/t.ts", tools],
    ["golden-tests/cases.yaml", yaml],
  ]);
  const suite = loadSuite(files);
  const evaluator = createEvaluator(suite, sandbox, { allowImports: [] });
  const built = await evaluator.build(files);
  if (!built.ok) throw new Error(built.reason);
  return evaluator.run(built.code);
}
