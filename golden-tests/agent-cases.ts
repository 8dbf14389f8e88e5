/**
 * Agent-level golden cases: the whole agent answers a request, and the ordinary assertions check the
 * answer text. This module adapts them to the tool-level machinery (checkCase, scoreSuite), which
 * judges an outcome whatever produced it. Pure.
 */
import type { CaseOutcome } from "./assertions.js";
import type { AgentCase, GoldenCase, GoldenSuite } from "./schema.js";

/** The tool name agent-level cases report in custom assertion contexts and failing-case lists. */
export const AGENT_TOOL = "(agent)";

/** The agent-level cases of a suite (none when the suite has none). */
export function agentCasesOf(suite: GoldenSuite): AgentCase[] {
  return suite.agentCases ?? [];
}

/** An agent case in the shape checkCase takes: the request is its one argument. */
export function asGoldenCase(c: AgentCase): GoldenCase {
  const { agent, ...rest } = c;
  return { ...rest, tool: AGENT_TOOL, args: [agent.request] };
}

/**
 * A suite whose `cases` are the agent-level cases, for scoreSuite and the custom assertion runner.
 * Its hash is the source suite's prefixed with `agent:`, so a score recorded for it is never taken
 * for a score of the tool-level suite.
 */
export function agentSuite(suite: GoldenSuite): GoldenSuite {
  return { cases: agentCasesOf(suite).map(asGoldenCase), agentCases: [], hash: `agent:${suite.hash}`, customAssertions: suite.customAssertions };
}

/** What the agent's run means to the assertions: its answer text, or a failure saying why there is none. */
export function agentOutcome(id: string, run: { answer: string | null; reason?: string }, ms: number): CaseOutcome {
  if (run.answer !== null) return { id, ok: true, output: run.answer, ms };
  return { id, ok: false, kind: "no-answer", error: run.reason ?? "the agent gave no answer", ms };
}
