/**
 * `runEvolution`: one evolution run on a workspace, its resources built at the edge and closed in
 * one place. The loop itself is evolution/loop/run.ts (stages beside it); this module only opens
 * the run, builds the run context from the config and the flags, and hands both to the loop.
 */
import { openRun } from "./loop/open.js";
import { openRunContext } from "./loop/context.js";
import { runLoop } from "./loop/run.js";
import type { RunOptions, RunSummary } from "./loop/types.js";

export type { AcceptedGeneration, RunEvent, RunOptions, RunSummary, StageTimes, StopCause } from "./loop/types.js";
export type { EvalCache } from "../ledger/index.js";

export async function runEvolution(options: RunOptions): Promise<RunSummary> {
  const opened = await openRun(options);
  const context = await openRunContext(opened.root, opened.ws.config, { ...options, suiteHash: opened.ws.suite.hash });
  try {
    return await runLoop(opened, context, options);
  } finally {
    await context.close();
  }
}
