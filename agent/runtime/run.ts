/**
 * The agent runtime: answers one request with the model, the agent's prompt and its tools.
 *
 * Each step the model replies with schema-constrained JSON: call a tool or answer. A tool call runs
 * in the sandbox against the agent's bundle (the model stays in this process: candidate code never
 * holds it), and its result goes back to the model as the next message. The last step may only
 * answer, so a request ends within `maxSteps` replies. The answer is streamed as it is generated.
 */
import { EvolveError } from "../../kernel/errors.js";
import type { EvolveConfig } from "../../workspace/config.js";
import type { FileMap } from "../../kernel/files.js";
import { WorkspaceInputError } from "../../kernel/input-error.js";
import { type ChatMessage, type Completion, type Provider, errorText } from "../llm/provider.js";
import { buildBundle } from "../../sandbox/build.js";
import type { FailureKind, Sandbox } from "../../sandbox/pool.js";
import { toolCatalogue, type ToolSpec } from "./catalogue.js";
import { type Decision, decisionSchema, parseDecision } from "./decision.js";
import { fieldStream } from "./json-stream.js";
import { agentParams, readParamsJson, type AgentParams } from "./params.js";
import { refusalMessage, systemPrompt, toolResultMessage } from "./prompt.js";

/** An agent ready to run: its bundle for the sandbox, its tool catalogue and its model parameters. */
export interface PreparedAgent {
  files: FileMap;
  config: Pick<EvolveConfig, "agent" | "sandbox">;
  /** The sandbox bundle of the tool modules. */
  code: string;
  tools: ToolSpec[];
  params: AgentParams;
  /** agent/params.json as data, for `{{params.KEY}}`. */
  paramsData: Record<string, unknown>;
}

/** The agent cannot run as committed (its tools do not build). */
export class AgentBuildError extends EvolveError {
  override name = "AgentBuildError";
  constructor(message: string) {
    super("agent-build", message);
  }
}

/**
 * Builds the tool bundle, reads the catalogue and the parameters, and fills the system template once
 * so that a template or params.json mistake is reported before the model is loaded.
 */
export async function prepareAgent(files: FileMap, config: Pick<EvolveConfig, "agent" | "sandbox">): Promise<PreparedAgent> {
  const params = agentParams(files);
  const paramsData = readParamsJson(files).data;
  const build = await buildBundle(files, { allowImports: config.sandbox.allowImports, toolGlobs: [...config.sandbox.tools] });
  if (!build.ok) {
    if (build.file && build.line) throw new WorkspaceInputError(build.file, build.line, 1, "", `the tools do not build: ${build.reason}`);
    throw new AgentBuildError(`the agent's tools do not build: ${build.reason}`);
  }
  const tools = toolCatalogue(files, build.tools, config.sandbox.tools);
  systemPrompt({ files, config, tools, request: "", params: paramsData });
  return { files, config, code: build.code, tools, params, paramsData };
}

/** One step of a run, as reported to `onStep` and in the result. */
export type AgentStep =
  | { kind: "tool"; tool: string; args: unknown[]; ok: true; output: unknown; shown: string; ms: number }
  | { kind: "tool"; tool: string; args: unknown[]; ok: false; failure: FailureKind; error: string; shown: string; ms: number }
  | { kind: "refused"; reason: string; raw: string }
  | { kind: "answer"; text: string };

export interface RunAgentOptions {
  /** The agent; or give `files` and `config` and it is prepared for this run. */
  agent?: PreparedAgent;
  files?: FileMap;
  config?: Pick<EvolveConfig, "agent" | "sandbox">;
  provider: Provider;
  sandbox: Sandbox;
  request: string;
  /** Earlier turns of a conversation (user requests and assistant replies), oldest first. */
  history?: readonly ChatMessage[];
  /** Text for the template's `{{context}}` (appended to the system message when it has none). */
  context?: string;
  /** Model replies at most (default: params.json `maxSteps`, else 4). */
  maxSteps?: number;
  /** Each chunk of the answer text, decoded, as the model generates it. */
  onToken?: (text: string) => void;
  onStep?: (step: AgentStep) => void;
  signal?: AbortSignal;
}

/**
 * How a run ended, for code that reacts to it: an answer; no valid reply before the steps ran out;
 * an answer that broke off after part of it was streamed; or the sandbox failing to run a tool.
 */
export type AgentStop = "answer" | "max-steps" | "broke-off" | "sandbox";

export interface AgentResult {
  /** True when the model answered. */
  ok: boolean;
  answer: string | null;
  stop: AgentStop;
  /** Why there is no answer. */
  reason?: string;
  steps: AgentStep[];
  /** The whole conversation, system message first, the model's raw replies included. */
  messages: ChatMessage[];
  tokens: { prompt: number; completion: number };
  /** Time spent in the model, summed over steps. */
  modelMs: number;
}

/** A tool output as the model reads it: JSON where JSON can say it, bounded in length. */
export function showValue(value: unknown, max = 2000): string {
  let text: string;
  if (value === undefined) text = "undefined";
  else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v)) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

async function consume(gen: AsyncGenerator<string, Completion>, onChunk: (chunk: string) => void): Promise<Completion> {
  for (;;) {
    const step = await gen.next();
    if (step.done) return step.value;
    onChunk(step.value);
  }
}

/** One model reply; the answer text it carries is handed to `onToken` as it is generated. */
async function modelReply(o: RunAgentOptions, params: AgentParams, messages: ChatMessage[], schema: Record<string, unknown>): Promise<{ completion: Completion; raw: string; streamed: string; started: boolean }> {
  const { temperature, topP, maxTokens, seed } = params;
  const watch = fieldStream("text");
  let raw = "";
  let streamed = "";
  const completion = await consume(
    o.provider.stream(messages, {
      schema,
      temperature,
      maxTokens,
      ...(topP !== undefined ? { topP } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    }),
    (chunk) => {
      raw += chunk;
      const text = watch.push(chunk);
      if (text) {
        streamed += text;
        o.onToken?.(text);
      }
    },
  );
  return { completion, raw, streamed, started: watch.started };
}

/** Runs a tool call in the sandbox: the step and the message for the model, or why the sandbox could not run it. */
async function toolStep(
  o: RunAgentOptions,
  code: string,
  d: Extract<Decision, { action: "tool" }>,
  step: number,
  nextIsLast: boolean,
): Promise<{ step: AgentStep; message: ChatMessage } | { failed: string }> {
  const call = `${d.tool}(${d.args.map((a) => showValue(a, 200)).join(", ")})`;
  let outcome;
  try {
    [outcome] = await o.sandbox.run(code, [{ id: `step-${step}`, tool: d.tool, args: d.args }]);
  } catch (err) {
    return { failed: `the sandbox failed running ${call}: ${errorText(err)}` };
  }
  if (!outcome) return { failed: `the sandbox returned no outcome for ${call}` };
  if (outcome.ok) {
    const shown = showValue(outcome.output);
    return { step: { kind: "tool", tool: d.tool, args: d.args, ok: true, output: outcome.output, shown, ms: outcome.ms }, message: toolResultMessage(call, shown, nextIsLast) };
  }
  const shown = `an error (${outcome.kind}): ${outcome.error}`;
  return { step: { kind: "tool", tool: d.tool, args: d.args, ok: false, failure: outcome.kind, error: outcome.error, shown, ms: outcome.ms }, message: toolResultMessage(call, shown, nextIsLast) };
}

export async function runAgent(o: RunAgentOptions): Promise<AgentResult> {
  let agent = o.agent;
  if (!agent) {
    if (!o.files || !o.config) throw new Error("runAgent: pass either agent, or files and config");
    agent = await prepareAgent(o.files, o.config);
  }
  const maxSteps = o.maxSteps ?? agent.params.maxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`runAgent: maxSteps must be a whole number >= 1, got ${maxSteps}`);
  const { maxTokens } = agent.params;
  const system = systemPrompt({ files: agent.files, config: agent.config, tools: agent.tools, request: o.request, params: agent.paramsData, ...(o.context !== undefined ? { context: o.context } : {}) });
  const messages: ChatMessage[] = [{ role: "system", content: system }, ...(o.history ?? []), { role: "user", content: o.request }];
  const steps: AgentStep[] = [];
  const tokens = { prompt: 0, completion: 0 };
  let modelMs = 0;
  const record = (s: AgentStep): void => {
    steps.push(s);
    o.onStep?.(s);
  };
  const end = (stop: AgentStop, answer: string | null, reason?: string): AgentResult => ({ ok: answer !== null, answer, stop, ...(reason !== undefined ? { reason } : {}), steps, messages, tokens, modelMs });

  for (let step = 1; step <= maxSteps; step++) {
    const last = step === maxSteps;
    const nextIsLast = step + 1 === maxSteps;
    const schema = decisionSchema(agent.tools, last);
    const { completion, raw, streamed, started } = await modelReply(o, agent.params, messages, schema);
    tokens.prompt += completion.tokens.prompt;
    tokens.completion += completion.tokens.completion;
    modelMs += completion.ms;
    messages.push({ role: "assistant", content: raw.trim() });
    const parsed = parseDecision(raw, schema);
    if (!parsed.ok) {
      const cut = completion.tokens.completion >= maxTokens ? ` (the reply stopped at maxTokens = ${maxTokens})` : "";
      record({ kind: "refused", reason: parsed.reason + cut, raw });
      // Text already shown cannot be taken back: a broken answer ends the run rather than being retried.
      if (started) return end("broke-off", null, `the answer broke off: ${parsed.reason}${cut}`);
      if (last) return end("max-steps", null, `no valid reply within ${maxSteps} step(s): ${parsed.reason}${cut}`);
      messages.push(refusalMessage(parsed.reason, nextIsLast));
      continue;
    }
    const d = parsed.decision;
    if (d.action === "answer") {
      // A server may deliver the JSON in a shape the watcher did not see (e.g. keys reordered after
      // the text): whatever was not streamed yet is handed on now.
      if (d.text.startsWith(streamed) && d.text.length > streamed.length) o.onToken?.(d.text.slice(streamed.length));
      record({ kind: "answer", text: d.text });
      return end("answer", d.text);
    }
    const ran = await toolStep(o, agent.code, d, step, nextIsLast);
    if ("failed" in ran) return end("sandbox", null, ran.failed);
    record(ran.step);
    messages.push(ran.message);
  }
  return end("max-steps", null, `no answer within ${maxSteps} step(s)`);
}
