/**
 * Failure clusters: recent interactions that went wrong, grouped by what went wrong, so a reflection
 * (built-in or the model's) reasons about a handful of patterns instead of hundreds of rows. Each
 * interaction joins one cluster, the most specific that fits: a failed tool call (by tool and the
 * sandbox's failure kind), else how the request ended without an answer (max-steps, broke-off,
 * model, timeout, ...), else negative feedback (a bad mark or a rating of 1-2, then asking again).
 * Pure: the store hands over the interactions.
 */
import type { FeedbackSignal, Interaction } from "./types.js";

/** What a cluster suggests changing: the tool's code, or the prompt and parameters. */
export type ClusterTarget = "code" | "prompt-params";

export interface ClusterExample {
  id: number;
  request: string;
  answer: string | null;
  /** The tool error or the reason there was no answer. */
  error: string | null;
  /** What a person said the answer should have been. */
  expected: string | null;
}

export interface FailureCluster {
  /** Stable key, e.g. `tool:search/throw`, `error:max-steps`, `feedback:bad`. */
  id: string;
  tool: string | null;
  /** The failure kind, error kind or feedback signal. */
  kind: string;
  target: ClusterTarget;
  /** Interactions in the cluster (ids, newest first). */
  interactions: number[];
  /** Feedback signals seen in the cluster's interactions. */
  signals: FeedbackSignal[];
  /** Up to EXAMPLES_PER_CLUSTER, texts cut to EXAMPLE_CHARS. */
  examples: ClusterExample[];
}

export const EXAMPLES_PER_CLUSTER = 3;
export const EXAMPLE_CHARS = 300;

const cut = (s: string | null): string | null => (s === null ? null : s.length <= EXAMPLE_CHARS ? s : `${s.slice(0, EXAMPLE_CHARS - 1)}…`);

/** The cluster an interaction belongs to, or null when nothing went wrong. */
export function clusterKey(i: Interaction): { id: string; tool: string | null; kind: string; target: ClusterTarget; error: string | null } | null {
  const failedCall = i.toolCalls.find((t) => !t.ok);
  if (failedCall !== undefined) {
    const kind = failedCall.failureKind ?? "failed";
    return { id: `tool:${failedCall.name}/${kind}`, tool: failedCall.name, kind, target: "code", error: failedCall.result };
  }
  if (i.status === "no-answer" || i.status === "error") {
    const kind = i.errorKind ?? "internal";
    return { id: `error:${kind}`, tool: null, kind, target: "prompt-params", error: i.error };
  }
  const bad = i.feedback.some((f) => f.signal === "bad" || (f.signal === "rating" && f.rating !== null && f.rating <= 2));
  if (bad) return { id: "feedback:bad", tool: null, kind: "bad", target: "prompt-params", error: null };
  if (i.feedback.some((f) => f.signal === "asked-again")) return { id: "feedback:asked-again", tool: null, kind: "asked-again", target: "prompt-params", error: null };
  return null;
}

/** Clusters of `interactions` (any order), largest first. */
export function clusterFailures(interactions: readonly Interaction[]): FailureCluster[] {
  const out = new Map<string, FailureCluster>();
  for (const i of [...interactions].sort((a, b) => b.id - a.id)) {
    const key = clusterKey(i);
    if (key === null) continue;
    let c = out.get(key.id);
    if (c === undefined) {
      c = { id: key.id, tool: key.tool, kind: key.kind, target: key.target, interactions: [], signals: [], examples: [] };
      out.set(key.id, c);
    }
    c.interactions.push(i.id);
    for (const f of i.feedback) if (!c.signals.includes(f.signal)) c.signals.push(f.signal);
    if (c.examples.length < EXAMPLES_PER_CLUSTER) {
      const expected = i.feedback.find((f) => f.expected !== null)?.expected ?? null;
      c.examples.push({ id: i.id, request: cut(i.request)!, answer: cut(i.answer), error: cut(key.error), expected: cut(expected) });
    }
  }
  return [...out.values()].sort((a, b) => b.interactions.length - a.interactions.length || a.id.localeCompare(b.id));
}

/** One line per cluster, e.g. `tool:search/throw: 4 interactions (#12, #9, #7, ...)`. */
export function describeCluster(c: FailureCluster): string {
  const ids = c.interactions.slice(0, 5).map((id) => `#${id}`).join(", ");
  return `${c.id}: ${c.interactions.length} interaction${c.interactions.length === 1 ? "" : "s"} (${ids}${c.interactions.length > 5 ? ", ..." : ""})`;
}
