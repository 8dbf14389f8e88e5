/**
 * `evolve improve`'s reasoning, pure: the built-in reflection on failure clusters (what each
 * cluster suggests doing, and when it cannot be acted on yet), and which interactions motivated
 * each change the cycle made.
 */
import { describeCluster, type FailureCluster } from "../interactions/index.js";

/** A change the cycle committed, and the interactions behind it. */
export interface MotivatedChange {
  generation: number;
  commit: string;
  tag: string;
  kind: "code" | "tuning" | "rollback";
  summary: string;
  /** Cluster ids and interaction ids that motivated it; empty when it came from failing golden cases alone. */
  clusters: string[];
  interactions: number[];
}

/**
 * Plan lines for the clusters: tool failures go to code generations (judged by the tool's golden
 * cases: a failure in use that no case reproduces is invisible to the search, so it says so), no-answer and bad-feedback clusters to
 * prompt and parameter tuning (judged on agent-level cases).
 */
export function builtinReflection(clusters: readonly FailureCluster[], toolsWithCases: ReadonlySet<string>, agentCases: number): string[] {
  const lines: string[] = [];
  for (const c of clusters) {
    const head = describeCluster(c);
    const sample = c.interactions.slice(0, 3).map((id) => `evolve promote ${id}`).join(" / ");
    if (c.target === "code") {
      lines.push(
        toolsWithCases.has(c.tool ?? "")
          ? `${head}: evolve the code of ${c.tool}; its golden cases judge a repair (one that fails in use should fail there too: ${sample})`
          : `${head}: ${c.tool} fails in use but no golden case exercises it; add one (${sample}) so a repair can be judged`,
      );
      continue;
    }
    const what = c.kind === "max-steps" ? "the agent ran out of steps: tune maxSteps and the prompt's instructions"
      : c.kind === "broke-off" || c.kind === "timeout" ? "answers were cut off or too slow: tune maxTokens and the prompt's length"
      : c.kind === "refused" ? "replies were refused as invalid: tune the prompt's format instructions"
      : "answers were judged wrong: rewrite the prompt";
    lines.push(agentCases > 0 ? `${head}: ${what} (A/B-tested on ${agentCases} agent-level case(s))` : `${head}: ${what}; there are no agent-level cases to A/B-test on: promote some (${sample})`);
  }
  if (lines.length === 0) lines.push("no recorded interaction failed in the window: improving against the golden suite only");
  return lines;
}

/** The clusters behind a code generation: those of the tools whose cases it fixed. */
export function codeMotivation(fixedTools: ReadonlySet<string>, clusters: readonly FailureCluster[]): Pick<MotivatedChange, "clusters" | "interactions"> {
  const hit = clusters.filter((c) => c.target === "code" && c.tool !== null && fixedTools.has(c.tool));
  return { clusters: hit.map((c) => c.id), interactions: hit.flatMap((c) => c.interactions) };
}

/** The clusters behind a tuning generation: those the model's proposal named, else every prompt/params cluster. */
export function tuningMotivation(addresses: readonly string[] | undefined, clusters: readonly FailureCluster[]): Pick<MotivatedChange, "clusters" | "interactions"> {
  const hit = addresses !== undefined ? clusters.filter((c) => addresses.includes(c.id)) : clusters.filter((c) => c.target === "prompt-params");
  return { clusters: hit.map((c) => c.id), interactions: [...new Set(hit.flatMap((c) => c.interactions))] };
}

/** One line for a change, e.g. `gen 4 (code): boundary in agent/tools/text.ts <- tool:slug/throw (#12, #9)`. */
export function describeChange(m: MotivatedChange): string {
  const why = m.clusters.length === 0 ? "failing golden cases (no recorded interaction)" : `${m.clusters.join(", ")} (${m.interactions.slice(0, 8).map((i) => `#${i}`).join(", ")}${m.interactions.length > 8 ? ", ..." : ""})`;
  return `gen ${m.generation} ${m.tag} (${m.kind}): ${m.summary} <- ${why}`;
}
