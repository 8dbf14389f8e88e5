/**
 * The vocabulary of a run: what the caller asks for (RunOptions), what it hears as the run goes
 * (RunEvent) and what it gets back (RunSummary). The stages in this folder share these types and
 * the RunState of state.ts; nothing here does any work.
 */
import type { LearningMemory } from "../../memory/store.js";
import type { ProviderFlags } from "../../agent/llm/index.js";
import type { Alert, Trend } from "../monitor.js";
import type { Reflection } from "../reflect.js";

export interface RunOptions {
  /** Workspace root (a git repository with evolve.config.yaml). */
  dir: string;
  /** Overrides of evolve.config.yaml's `evolution` section. */
  generations?: number;
  candidatesPerGeneration?: number;
  budget?: number;
  seed?: number;
  /** Accept changes larger than `safety.approvalAboveLines` without asking (the human approved them up front). */
  approveLarge?: boolean;
  /** Asked for each change larger than `safety.approvalAboveLines` when not pre-approved; absent = hold them. */
  approve?: (diff: string, summary: string) => Promise<boolean>;
  onEvent?: (event: RunEvent) => void;
  /** Where candidates come from: the built-in AST operators (default), a local model, or both. */
  proposer?: "builtin" | "llm" | "mixed";
  /** Overrides of the config's `model` section (--provider, --model, --base-url, --threads). */
  model?: ProviderFlags;
  /** Evaluate candidates on `evolve worker` processes through this Redis (overrides `evaluation.redis`). */
  redis?: string;
  /** Learning memory: past outcomes in similar situations order the operators and inform the model's plan; each round's outcomes are added. */
  memory?: LearningMemory;
  /**
   * For `evolveWorkspace` without `memory`: open the workspace's own memory (`--memory`; default
   * false). Off by default because, measured on the bundled textkit workspace, the run's own early
   * outcomes steered it into a patch that overfits (600 candidates and clamp-above left failing,
   * against 224 and every case repaired without it).
   */
  learn?: boolean;
  /**
   * Asked before each candidate and each round (a Ctrl-C, a watcher shutting down): once true, no
   * candidate is started, those in flight finish and are recorded as attempts, nothing more is
   * committed, and the run ends with cause "stopped".
   */
  stopRequested?: () => boolean;
}

/** Why a run stopped; the summary names it. */
export type StopCause = "perfect" | "rounds" | "budget" | "exhausted" | "stopped";

export type RunEvent =
  | { type: "start"; workspace: string; branch: string; generation: number; score: number; holdout: number | null; passed: number; total: number; budget: number; perGeneration: number; generations: number }
  | { type: "rollback"; reverted: string; commit: string; reason: string }
  | { type: "rollback-skipped"; commit: string; reason: string }
  | { type: "round"; generation: number; round: number; edits: number; suspicious: number }
  /** The tip's neighbourhood ran dry: the search goes on from the `detour`-th neutral variant of it. */
  | { type: "detour"; generation: number; detour: number; variant: string; edits: number }
  | { type: "candidate"; generation: number; evaluated: number; budget: number; stage: string; accepted: boolean; reason: string }
  | { type: "generation"; generation: number; commit: string; tag: string; score: number; holdout: number | null; delta: number; summary: string; fixed: string[] }
  | { type: "reflection"; reflection: Reflection }
  | { type: "alert"; alert: Alert }
  | { type: "stop"; reason: string; cause: StopCause };

export interface AcceptedGeneration {
  generation: number;
  commit: string;
  tag: string;
  score: number;
  holdout: number | null;
  delta: number;
  operator: string;
  summary: string;
  fixed: string[];
}

/** Per-stage wall time, ms, summed over the run. */
export interface StageTimes {
  propose: number;
  apply: number;
  typecheck: number;
  build: number;
  evaluate: number;
  commit: number;
}

/** Candidates a run looked at, by where they ended. `evaluated` counts sandbox runs only: the budget. */
export interface CandidateCounts {
  evaluated: number;
  fromCache: number;
  refused: { safety: number; typecheck: number; build: number; approval: number };
}

export interface RunSummary {
  workspace: string;
  branch: string;
  initialCommit: string;
  finalCommit: string;
  initialScore: number;
  finalScore: number;
  initialHoldout: number | null;
  finalHoldout: number | null;
  passed: number;
  total: number;
  generations: AcceptedGeneration[];
  rounds: number;
  candidates: CandidateCounts & { perSecond: number };
  cache: { hits: number; misses: number };
  stages: StageTimes;
  wallMs: number;
  stopReason: string;
  stopCause: StopCause;
  alerts: Alert[];
  trends: Trend[];
  reflections: Reflection[];
  stillFailing: string[];
  /** Candidates held for approval (ids for `evolve approve`). */
  held: Array<{ id: string; lines: number; description: string }>;
}
