/**
 * `evolve run`, composed in one place: open the run, build its context once, evolve the code
 * generations, then tune prompts and parameters on the agent-level cases when there are any and
 * there is a model (one check, the run context's), and close everything once.
 */
import { openWorkspace } from "../workspace/open.js";
import { openWorkspaceMemory } from "../workspace/memory.js";
import type { LearningMemory } from "../memory/store.js";
import { tuneWorkspace } from "../tuning/session.js";
import type { TuneEvent, TuneReport } from "../tuning/tune.js";
import type { CacheStats } from "../agent/llm/index.js";
import { openRun } from "./loop/open.js";
import { hasModel, openRunContext } from "./loop/context.js";
import { runLoop } from "./loop/run.js";
import type { RunOptions, RunSummary } from "./loop/types.js";

/** The tuning phase's outcome: what it did, or why it did not run. */
export type TunePhase =
  | { ran: true; report: TuneReport; stats: CacheStats }
  | { ran: false; reason: "no-agent-cases" }
  | { ran: false; reason: "stopped" }
  | { ran: false; reason: "no-model"; agentCases: number };

export interface EngineHooks {
  /** The code generations are done (the summary can be shown before tuning starts). */
  onGenerationsDone?: (summary: RunSummary) => void;
  /** Before tuning starts (a heading for the terminal), with the settings line. */
  onTuneStart?: (line: string) => void;
  onTuneEvent?: (e: TuneEvent) => void;
}

export async function evolveWorkspace(options: RunOptions, hooks: EngineHooks = {}): Promise<{ summary: RunSummary; tune: TunePhase }> {
  const opened = await openRun(options);
  const context = await openRunContext(opened.root, opened.ws.config, { ...options, suiteHash: opened.ws.suite.hash });
  let own: LearningMemory | null = null;
  try {
    // The workspace's learning memory when asked for (--memory) and the caller brought none.
    if (options.memory === undefined && options.learn === true) own = await openWorkspaceMemory(opened.root, { create: true });
    const memory = options.memory ?? own ?? undefined;
    const summary = await runLoop(opened, context, { ...options, ...(memory !== undefined ? { memory } : {}) });
    hooks.onGenerationsDone?.(summary);
    if (summary.stopCause === "stopped") return { summary, tune: { ran: false, reason: "stopped" } };
    const ws = await openWorkspace(opened.root);
    const agentCases = ws.suite.agentCases?.length ?? 0;
    if (agentCases === 0) return { summary, tune: { ran: false, reason: "no-agent-cases" } };
    if (!hasModel(context.model)) return { summary, tune: { ran: false, reason: "no-model", agentCases } };
    const tuned = await tuneWorkspace(opened.root, {
      flags: options.model ?? {},
      sandbox: context.sandbox,
      provider: context.provider,
      ...(hooks.onTuneStart !== undefined ? { onStart: hooks.onTuneStart } : {}),
      ...(hooks.onTuneEvent !== undefined ? { onEvent: hooks.onTuneEvent } : {}),
    });
    return { summary, tune: { ran: true, ...tuned } };
  } finally {
    own?.close();
    await context.close();
  }
}
