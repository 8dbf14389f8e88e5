/**
 * The recording hook: runs the agent on a request and records it in the interaction store. The
 * request is written before the model starts (a crash loses at most the answer); the answer, tool
 * calls, timings, tokens and implicit feedback are written in one transaction when it ends; a
 * request that repeats the previous one of the same conversation soon after marks that one "asked
 * again". Recording never changes what the agent does or says; the time it adds is measured and
 * returned (`recordMs`), so the benchmark can report it.
 */
import { randomUUID } from "node:crypto";
import { isEvolveError, type EvolveError } from "../../kernel/errors.js";
import {
  ASK_AGAIN_WINDOW_MS,
  askedAgain,
  implicitSignals,
  type InteractionEnd,
  type InteractionErrorKind,
  type InteractionSource,
  type InteractionStore,
  type ToolCallRecord,
} from "../../interactions/index.js";
import { LIMITS, cap } from "../../interactions/limits.js";
import { errorText } from "../llm/provider.js";
import { runAgent, showValue, type AgentResult, type AgentStep, type AgentStop, type RunAgentOptions } from "./run.js";

/** Who serves the requests: fixed for a session (an ask, a chat, a server's current generation). */
export interface RecordingContext {
  store: InteractionStore;
  source: InteractionSource;
  /** A conversation's id (null for one-off asks: "asked again" then looks at the previous ask). */
  session: string | null;
  commit: string | null;
  generation: number | null;
  model: { provider: string; name: string; params: Record<string, unknown> };
  /** The model's identity; asked once after the first answer (it may load or hash the model). */
  identity?: () => Promise<string | null>;
}

export interface RecordedRun {
  result: AgentResult;
  interactionId: number;
  /** Milliseconds the recording added: building the record and the store's reads and writes (nothing of the model's). */
  recordMs: number;
  /** Set when the answer could not be recorded: the answer stands, the caller reports this. */
  recordError?: EvolveError;
}

/** A recorder for one session: runs requests and remembers the last interaction for feedback. */
export interface Recorder {
  readonly context: RecordingContext;
  run(options: RunAgentOptions): Promise<RecordedRun>;
  /** The id of the last interaction this recorder recorded, for `/good`, `/bad`, `/rate`. */
  readonly lastId: number | null;
}

/** A new conversation id. */
export function newSessionId(): string {
  return randomUUID();
}

const STOP_KIND: Record<Exclude<AgentStop, "answer">, InteractionErrorKind> = { "max-steps": "max-steps", "broke-off": "broke-off", sandbox: "sandbox" };

function toolCalls(steps: readonly AgentStep[]): ToolCallRecord[] {
  const out: ToolCallRecord[] = [];
  for (const s of steps) {
    if (s.kind !== "tool") continue;
    // The output is the candidate's: serialised with a bound before it is even capped by the store.
    const args = showValue(s.args, LIMITS.toolArgs);
    if (s.ok) out.push({ name: s.tool, args, ok: true, result: showValue(s.output, LIMITS.toolResult), failureKind: null, ms: s.ms });
    else out.push({ name: s.tool, args, ok: false, result: cap(s.error, LIMITS.toolResult), failureKind: s.failure, ms: s.ms });
  }
  return out;
}

function endOf(result: AgentResult, firstTokenMs: number | null, totalMs: number, identity: string | null): InteractionEnd {
  const refusals = result.steps.filter((s) => s.kind === "refused").length;
  return {
    status: result.ok ? "answered" : "no-answer",
    answer: result.answer,
    errorKind: result.stop === "answer" ? null : STOP_KIND[result.stop],
    error: result.reason ?? null,
    toolCalls: toolCalls(result.steps),
    steps: result.steps.length,
    refusals,
    firstTokenMs,
    totalMs,
    modelMs: result.modelMs,
    tokensIn: result.tokens.prompt,
    tokensOut: result.tokens.completion,
    modelIdentity: identity,
  };
}

function errorEnd(err: unknown, firstTokenMs: number | null, totalMs: number): InteractionEnd {
  const timeout = isEvolveError(err, "model") && (err.data as { kind?: unknown }).kind === "timeout";
  const kind: InteractionErrorKind = timeout ? "timeout" : isEvolveError(err, "model", "model-config") ? "model" : "internal";
  return { status: "error", answer: null, errorKind: kind, error: errorText(err), toolCalls: [], steps: 0, refusals: 0, firstTokenMs, totalMs, modelMs: 0, tokensIn: 0, tokensOut: 0 };
}

/** Resolves within `ms` or gives null: the identity is nice to have, never worth waiting on. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p.catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function createRecorder(context: RecordingContext): Recorder {
  let lastId: number | null = null;
  let identity: string | null | undefined;
  const { store } = context;

  async function run(options: RunAgentOptions): Promise<RecordedRun> {
    let recordMs = 0;
    const timed = <T>(f: () => T): T => {
      const t = performance.now();
      try {
        return f();
      } finally {
        recordMs += performance.now() - t;
      }
    };
    const t0 = performance.now();
    const at = Date.now();
    const id = timed(() => {
      const previous = store.previous(context.source, context.session, at - ASK_AGAIN_WINDOW_MS);
      const started = store.begin({
        source: context.source,
        session: context.session,
        commit: context.commit,
        generation: context.generation,
        request: options.request,
        // A --max-steps flag overrides params.json: record what this request really ran with.
        model: { ...context.model, identity: identity ?? null, params: { ...context.model.params, ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}) } },
        at,
      });
      if (previous !== null && askedAgain(previous, { request: options.request, at })) {
        store.addFeedback(previous.id, { source: "implicit", signal: "asked-again", note: `asked again as interaction ${started}` });
      }
      return started;
    });
    lastId = id;
    let firstTokenMs: number | null = null;
    const onToken = (text: string): void => {
      firstTokenMs ??= performance.now() - t0;
      options.onToken?.(text);
    };
    let result: AgentResult;
    try {
      result = await runAgent({ ...options, onToken });
    } catch (err) {
      try {
        const end = errorEnd(err, firstTokenMs, performance.now() - t0);
        timed(() => store.complete(id, end, implicitSignals(end)));
      } catch {
        // The run's own error is the one to report; the row stays in flight and reads as interrupted.
      }
      throw err;
    }
    const totalMs = performance.now() - t0;
    if (identity === undefined && context.identity) {
      const t = performance.now();
      identity = await within(context.identity(), 2000);
      recordMs += performance.now() - t;
    }
    try {
      // Building the record (tool results serialised with bounds) is part of what the hook adds.
      timed(() => {
        const end = endOf(result, firstTokenMs, totalMs, identity ?? null);
        store.complete(id, end, implicitSignals(end));
      });
      return { result, interactionId: id, recordMs };
    } catch (err) {
      if (!isEvolveError(err)) throw err;
      return { result, interactionId: id, recordMs, recordError: err };
    }
  }

  return {
    context,
    run,
    get lastId() {
      return lastId;
    },
  };
}
