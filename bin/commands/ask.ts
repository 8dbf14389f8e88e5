/**
 * `evolve ask "PROMPT"`: the agent answers one request with its model, prompt and tools. Tool calls
 * are reported on stderr as they happen; the answer streams to stdout (to stderr with --json, where
 * stdout carries one JSON object at the end).
 */
import type { EvolveError } from "../../kernel/errors.js";
import { describeSettings } from "../../agent/llm/select.js";
import type { AgentStep, RunAgentOptions } from "../../agent/runtime/run.js";
import { c, fail, output, EXIT, setExitCode } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";

/** Flags shared by ask and chat. */
export interface AgentFlags {
  workspace?: string;
  provider?: string;
  model?: string;
  baseUrl?: string;
  threads?: number;
  maxSteps?: number;
  /** A project directory whose snapshot goes into the system prompt (`{{context}}`). */
  snap?: string;
  snapBudget?: number;
  /** False with --no-record: nothing goes into the interaction store. */
  record?: boolean;
}

/** The system-prompt context for --snap: a token-budgeted map of the target project's TypeScript. */
export async function snapContext(flags: AgentFlags): Promise<{ context?: string }> {
  if (flags.snap === undefined) return {};
  const { readTypeScriptProject } = await import("../../snapshots/read-dir.js");
  const { buildSnapshot } = await import("../../snapshots/snapshot.js");
  const path = await import("node:path");
  const root = path.resolve(flags.snap);
  const snapshot = buildSnapshot(readTypeScriptProject(root), { evolvable: () => true, tokenBudget: flags.snapBudget ?? 1500, label: `project ${path.basename(root)}` });
  return { context: snapshot.text };
}

export interface AskFlags extends AgentFlags {
  json?: boolean;
}

/** The provider flags as resolveSettings takes them. */
export function providerFlags(f: AgentFlags): { provider?: string; model?: string; baseUrl?: string; threads?: number } {
  return {
    ...(f.provider !== undefined ? { provider: f.provider } : {}),
    ...(f.model !== undefined ? { model: f.model } : {}),
    ...(f.baseUrl !== undefined ? { baseUrl: f.baseUrl } : {}),
    ...(f.threads !== undefined ? { threads: f.threads } : {}),
  };
}

/** One line per step for the terminal. */
export function stepLine(s: AgentStep): string | null {
  if (s.kind === "tool") return `${c.dim("tool")} ${s.tool}(${s.args.map((a) => JSON.stringify(a)).join(", ")}) ${s.ok ? "->" : c.red("failed:")} ${s.shown}`;
  if (s.kind === "refused") return `${c.yellow("refused reply")}: ${s.reason}`;
  return null;
}

/** How a recorded interaction is named on stderr, with the feedback command for it. */
export function recordedLine(id: number): string {
  return c.dim(`recorded as interaction ${id} (evolve feedback ${id} --good | --bad [--expected TEXT] | --rating 1-5)`);
}

/** An answer that could not be recorded: the answer stands; the store's problem is one line and exit 1. */
export function reportRecordError(err: EvolveError): void {
  output(false).warn(`${c.red("error:")} ${err.message} (the answer above was not recorded)`);
  setExitCode(EXIT.failed);
}

export async function askCommand(prompt: string, flags: AskFlags): Promise<void> {
  const out = output(flags.json === true);
  const answerTo = { write: out.stream };
  const { openAgentSession } = await import("../../agent/runtime/session.js");
  const { runAgent } = await import("../../agent/runtime/run.js");
  const { openSessionRecorder } = await import("../../agent/runtime/session-recorder.js");
  let session;
  try {
    session = await openAgentSession(workspaceFromFlag(flags.workspace), providerFlags(flags));
  } catch (err) {
    fail(err);
    return;
  }
  let recorder = null;
  try {
    recorder = await openSessionRecorder(session, "ask", flags.record);
    const snap = await snapContext(flags);
    const options: RunAgentOptions = {
      ...snap,
      agent: session.agent,
      provider: session.provider,
      sandbox: session.sandbox,
      request: prompt,
      ...(flags.maxSteps !== undefined ? { maxSteps: flags.maxSteps } : {}),
      onToken: (t) => answerTo.write(t),
      onStep: (s) => {
        const line = stepLine(s);
        if (line) output(false).warn(`${line}`);
      },
    };
    const recorded = recorder ? await recorder.run(options) : { result: await runAgent(options) };
    const { result } = recorded;
    if (result.ok) answerTo.write("\n");
    else {
      output(false).warn(`\n${c.red("no answer:")} ${result.reason}`);
      setExitCode(EXIT.failed);
    }
    const id = "interactionId" in recorded ? recorded.interactionId : null;
    if ("recordError" in recorded && recorded.recordError) reportRecordError(recorded.recordError);
    else if (id !== null) output(false).warn(`${recordedLine(id)}`);
    if (out.isJson) {
      out.json({
        ok: result.ok,
        interaction: "recordError" in recorded && recorded.recordError ? null : id,
        answer: result.answer,
        ...(result.reason !== undefined ? { reason: result.reason } : {}),
        model: describeSettings(session.settings),
        steps: result.steps,
        tokens: result.tokens,
        modelMs: Math.round(result.modelMs),
        messages: result.messages,
      });
    }
  } catch (err) {
    fail(err);
  } finally {
    recorder?.close();
    await session.close();
  }
}
