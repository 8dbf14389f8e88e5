import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The slowest test files, slowest first, as measured by a fresh-clone CI run (seconds on the 2-core
 * CI machine with two files at a time). A fresh clone has no vitest cache, and vitest then starts the
 * largest files first: the real-model run (the slowest file) came last and ran alone for two minutes
 * while the other worker idled. Longest-first keeps both workers busy to the end.
 */
const SLOWEST_FIRST: readonly string[] = [
  "llm-run.test.ts", // 112
  "interactions-cli.test.ts", // 92
  "resume.test.ts", // 74
  "evolve-run.test.ts", // 73
  "tune.test.ts", // 61
  "loop.test.ts", // 55
  "bad-input.test.ts", // 45
  "runtime.test.ts", // 40
  "history-bisect.test.ts", // 40
  "history-cli.test.ts", // 36
  "report.test.ts", // 33
  "cli.test.ts", // 33
  "memory.test.ts", // 33
  "watch.test.ts", // 28
  "queue-cli.test.ts", // 26
  "repair-bench.test.ts", // 23
  "workspace-lock.test.ts", // 22
  "improve.test.ts", // 21
  "history-attempts.test.ts", // 21
  "history-tags.test.ts", // 18
  "llm-proposer.test.ts", // 18
  "serve.test.ts", // 17
];

const rank = (spec: TestSpecification): number => {
  const i = SLOWEST_FIRST.indexOf(path.basename(spec.moduleId));
  return i === -1 ? SLOWEST_FIRST.length : i;
};

/** Known slow files first, in the order above; the rest after them in vitest's own order. */
export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files);
    return rest.map((spec, i) => ({ spec, i })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i).map((x) => x.spec);
  }
}
