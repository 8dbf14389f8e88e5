/**
 * The one mutable object of a run: where the branch is, what the base scores, what has been spent.
 * Every stage reads and advances it; the summary is read off it at the end.
 */
import type { Workspace } from "../../workspace/open.js";
import type { Measurement } from "../../golden-tests/evaluate.js";
import type { Candidate } from "../candidates.js";
import type { CaseFlags, Verdict } from "../judge.js";
import type { Alert, GenerationMetrics } from "../monitor.js";
import type { OperatorTry, Reflection } from "../reflect.js";
import type { AcceptedGeneration, CandidateCounts, RunEvent, StageTimes, StopCause } from "./types.js";

/** The run's settings, the config's `evolution` section with the flags applied. */
export interface RunSettings {
  generations: number;
  perGeneration: number;
  budget: number;
  seed: number;
  approveLarge: boolean;
  approve: ((diff: string, summary: string) => Promise<boolean>) | undefined;
  proposer: "builtin" | "llm" | "mixed";
}

/** Outcome of one candidate, whatever gate stopped it. */
export interface Tried {
  candidate: Candidate;
  tree: string;
  stage: "safety" | "typecheck" | "build" | "evaluate" | "approval" | "cache";
  measurement: Measurement | null;
  verdict: Verdict | null;
  reason: string;
  /** The bundle, when built in this run (the stability re-check reuses it). */
  code?: string;
  diff: string;
}

export interface RunState {
  readonly root: string;
  readonly branch: string;
  readonly settings: RunSettings;
  readonly emit: (e: RunEvent) => void;
  readonly started: number;
  /** The branch tip the next generation goes on; its files, config and suite. */
  ws: Workspace;
  readonly initialCommit: string;
  flags: CaseFlags;
  /** The tip's measurement: what every candidate is judged against. */
  base: Measurement;
  initial: Measurement;
  /** The number the next committed generation gets. */
  generation: number;
  rounds: number;
  counts: CandidateCounts;
  stages: StageTimes;
  accepted: AcceptedGeneration[];
  alerts: Alert[];
  reflections: Reflection[];
  metrics: GenerationMetrics[];
  /** Learning memory: operators tried (accepted or not), from git and from this run. */
  tries: OperatorTry[];
  /** Hashes of every candidate produced in this run: none is built twice. */
  seen: Set<string>;
  /** Candidates held for approval in this run. */
  held: Tried[];
  stop: { cause: StopCause; reason: string } | null;
}

export function metricsOf(generation: number, m: Measurement): GenerationMetrics {
  return { generation, score: m.score, holdout: m.holdout, passed: m.passed, failed: m.failed, evalMs: m.evalMs };
}

/** Lines of a unified diff that add or remove text. */
export function changedLines(diff: string): number {
  return diff.split("\n").filter((l) => (l.startsWith("+") || l.startsWith("-")) && !l.startsWith("+++") && !l.startsWith("---")).length;
}

export function totalRefused(c: CandidateCounts): number {
  return c.refused.safety + c.refused.typecheck + c.refused.build + c.refused.approval;
}
