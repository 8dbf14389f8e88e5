/**
 * Measuring a tree that exists only as a FileMap (a revert not yet committed) or measuring one tree
 * several times: the same config, suite, build and sandbox that `evolve run` uses, with the caller
 * deciding about the cache. measureRef covers the plain case of one commit measured once.
 */
import type { FileMap } from "../kernel/files.js";
import { parseConfig } from "../workspace/config.js";
import type { EvolveConfig } from "../workspace/config.js";
import { CONFIG_FILE, WorkspaceError } from "../workspace/open.js";
import { loadSuite, prepareCustomAssertions } from "../golden-tests/index.js";
import type { GoldenSuite } from "../golden-tests/index.js";
import { createSandbox } from "../sandbox/pool.js";
import { createEvaluator } from "../golden-tests/evaluate.js";
import type { Evaluator, Measurement } from "../golden-tests/evaluate.js";

/** The config and golden suite a tree carries, loaded as openWorkspace loads them. */
export interface TreeSetup {
  config: EvolveConfig;
  suite: GoldenSuite;
}

/** Load config and suite from `files`; `where` names the tree in errors (e.g. "the revert of gen-3"). */
export async function loadTreeSetup(files: FileMap, where: string): Promise<TreeSetup> {
  const text = files.get(CONFIG_FILE);
  if (text === undefined) throw new WorkspaceError(`${where} has no ${CONFIG_FILE}`, "workspace", { file: CONFIG_FILE });
  const config = parseConfig(text, CONFIG_FILE);
  const suite = loadSuite(files);
  await prepareCustomAssertions(suite);
  return { config, suite };
}

/** Run `fn` with an evaluator over a fresh sandbox sized by `config`; the sandbox is always destroyed. */
export async function withEvaluator<T>(setup: TreeSetup, fn: (evaluator: Evaluator) => Promise<T>): Promise<T> {
  const { config, suite } = setup;
  const sandbox = createSandbox({ workers: config.sandbox.workers, timeoutMs: config.sandbox.timeoutMs, memoryMb: config.sandbox.memoryMb });
  try {
    return await fn(createEvaluator(suite, sandbox, config.sandbox));
  } finally {
    await sandbox.destroy();
  }
}

/** Build `files` once and run the whole suite `runs` times on the same bundle. */
export async function measureRuns(evaluator: Evaluator, files: FileMap, runs: number): Promise<{ ok: true; runs: Measurement[] } | { ok: false; reason: string }> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`measureRuns: runs must be an integer >= 1, got ${runs}`);
  const built = await evaluator.build(files);
  if (!built.ok) return { ok: false, reason: built.reason };
  const out: Measurement[] = [];
  for (let i = 0; i < runs; i++) out.push((await evaluator.run(built.code)).measurement);
  return { ok: true, runs: out };
}

/** Cases that pass in `after` but not in `before` (fixed), and the reverse (broken), in suite order. */
export function flippedCases(before: Measurement, after: Measurement): { fixed: string[]; broken: string[] } {
  const was = new Map(before.results.map((r) => [r.id, r.pass]));
  const fixed: string[] = [];
  const broken: string[] = [];
  for (const r of after.results) {
    const prior = was.get(r.id);
    if (prior === undefined) continue;
    if (r.pass && !prior) fixed.push(r.id);
    if (!r.pass && prior) broken.push(r.id);
  }
  return { fixed, broken };
}
