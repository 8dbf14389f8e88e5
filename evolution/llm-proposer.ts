/**
 * The LLM proposer: shows a local model a snapshot of the agent's evolvable code, the failing cases
 * (input, expected, actual), the reflection on them and the past attempts on the same code with the
 * reasons they were rejected, and asks for edit operations under a JSON schema. Each answer becomes a
 * candidate (ops applied with ts-morph) or a refusal whose reason and raw text the caller records as
 * an attempt. The candidates then go through the same gates, sandbox and judge as the built-in ones.
 */
import type { FileMap } from "../kernel/files.js";
import type { ChatMessage, Provider } from "../agent/llm/provider.js";
import { generateJson } from "../agent/llm/structured.js";
import type { AttemptRecord } from "../ledger/attempts.js";
import { findFunction } from "../snapshots/functions.js";
import { buildSnapshot, type Snapshot } from "../snapshots/snapshot.js";
import { applyEditOps, editOpsSchema, editTargets, type EditOp, type EditOpSet } from "./edit-ops.js";
import { createMemoryProject, isTypeScriptPath, toVirtual } from "../kernel/ts-project.js";

/** A golden case the current tree fails. */
export interface FailingCase {
  id: string;
  tool: string;
  input: unknown;
  expected: unknown;
  actual: unknown;
  reason: string;
}

export interface ProposerContext {
  files: FileMap;
  evolvable: (path: string) => boolean;
  failing: FailingCase[];
  /** Lines of reflection on the failures (what was tried, what seems wrong). */
  reflection?: string[];
  /** Rejected attempts from the ledger; those touching the implicated files are shown. */
  pastAttempts: AttemptRecord[];
  /** Token budget of the code snapshot inside the prompt. */
  snapshotBudget: number;
}

export interface ProposeOptions {
  /** Answers to ask for; answer i uses seed + i. */
  count: number;
  temperature: number;
  seed: number;
  /** Bound on each answer (default 1024 tokens). */
  maxTokens?: number;
  /** Most ops per answer (default 4). */
  maxOps?: number;
  /** Longest code/text field, characters (default: none). Small models need one to finish their JSON. */
  maxText?: number;
  /** Past attempts shown (default 6, newest first). */
  maxAttempts?: number;
  timeoutMs?: number;
}

/** A proposed candidate: the edited tree, what changed, and the ops that made it. */
export interface LlmCandidate {
  files: FileMap;
  changed: string[];
  description: string;
  ops: EditOp[];
}

export type LlmProposal = { ok: true; candidate: LlmCandidate; raw: string } | { ok: false; reason: string; raw: string };

/** The files and functions the failing cases implicate: the evolvable code file exporting each case's tool. */
export function implicated(files: FileMap, evolvable: (path: string) => boolean, failing: readonly FailingCase[]): { files: string[]; functions: string[] } {
  const tools = [...new Set(failing.map((c) => c.tool))];
  const code = [...files.keys()].filter((p) => evolvable(p) && isTypeScriptPath(p) && !p.endsWith(".d.ts")).sort();
  const project = createMemoryProject(new Map(code.map((p) => [p, files.get(p) as string])));
  const outFiles: string[] = [];
  const functions: string[] = [];
  for (const tool of tools) {
    for (const p of code) {
      const sf = project.getSourceFile(toVirtual(p));
      const f = sf ? findFunction(sf, tool) : undefined;
      if (f?.exported) {
        if (!outFiles.includes(p)) outFiles.push(p);
        functions.push(tool);
        break;
      }
    }
  }
  return { files: outFiles, functions };
}

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? "undefined";
  return text.length <= 300 ? text : `${text.slice(0, 299)}…`;
};

/** The first lines of a diff's hunks: enough to recognise the change. */
function diffHead(diff: string, lines = 10): string {
  return diff
    .split("\n")
    .filter((l) => /^[-+@]/.test(l) && !/^(---|\+\+\+) /.test(l))
    .slice(0, lines)
    .join("\n");
}

/** Attempts whose diff touches one of `files`, newest first. */
function attemptsOn(attempts: readonly AttemptRecord[], files: readonly string[], max: number): AttemptRecord[] {
  return attempts
    .filter((a) => files.length === 0 || files.some((f) => a.diff.includes(f) || a.description.includes(f)))
    .slice()
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, max);
}

const OP_GUIDE = [
  'Answer with JSON only: {"ops": [...]}, each op one of:',
  '- {"op":"replace-function-body","file","function","body"}: body = the statements between the braces',
  '- {"op":"insert-statements","file","function","index","code"}: insert before statement index (0-based; the count appends)',
  '- {"op":"replace-statements","file","function","index","count","code"}: replace count statements from index ("" deletes)',
  '- {"op":"edit-prompt-section","file","heading","text"}: heading "" is the text before the first heading',
  '- {"op":"set-param","file","key","value"}: key is a dot path; keep the value\'s type',
  '- {"op":"add-tool","file","name","code"}: code is one exported function called name',
  "Statement numbers are shown as `statements 0@L16 1@L19` (index@line). Make the smallest change that fixes the failing cases without breaking others.",
].join("\n");

/** The conversation sent to the model (exported so callers can log or cache it). */
export function proposerPrompt(context: ProposerContext, snapshot: Snapshot, maxAttempts = 6): ChatMessage[] {
  const focus = implicated(context.files, context.evolvable, context.failing);
  const parts: string[] = [snapshot.text.trimEnd()];
  parts.push(
    `# Failing cases (${context.failing.length})\n` +
      context.failing.map((c) => `- ${c.id}: ${c.tool}(${show(c.input)})\n  expected: ${show(c.expected)}\n  actual: ${show(c.actual)}\n  why: ${c.reason}`).join("\n"),
  );
  if (context.reflection && context.reflection.length > 0) parts.push(`# Reflection\n${context.reflection.map((l) => `- ${l}`).join("\n")}`);
  const past = attemptsOn(context.pastAttempts, focus.files, maxAttempts);
  if (past.length > 0) {
    parts.push(
      `# Already tried and rejected (do not repeat)\n` +
        past.map((a) => `- ${a.description}\n  rejected: ${a.reason}${a.diff ? `\n${diffHead(a.diff).replace(/^/gm, "    ")}` : ""}`).join("\n"),
    );
  }
  parts.push(OP_GUIDE);
  return [
    { role: "system", content: "You repair a TypeScript agent's tools, prompts and parameters by proposing small edit operations as JSON." },
    { role: "user", content: parts.join("\n\n") },
  ];
}

/**
 * Ask `options.count` times for edit operations and apply each answer. Answers that are not valid
 * JSON for the schema, or whose ops cannot be applied, come back as `ok: false` with the reason and
 * the raw text. Provider failures (server down, timeout) throw.
 */
export async function proposeWithLlm(provider: Provider, context: ProposerContext, options: ProposeOptions): Promise<LlmProposal[]> {
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error(`proposeWithLlm: count must be an integer >= 1, got ${options.count}`);
  const focus = implicated(context.files, context.evolvable, context.failing);
  const snapshot = buildSnapshot(context.files, { evolvable: context.evolvable, focus, tokenBudget: context.snapshotBudget });
  const messages = proposerPrompt(context, snapshot, options.maxAttempts);
  const schema = editOpsSchema(editTargets(context.files, context.evolvable), {
    ...(options.maxOps !== undefined ? { maxOps: options.maxOps } : {}),
    ...(options.maxText !== undefined ? { maxText: options.maxText } : {}),
  });
  const out: LlmProposal[] = [];
  for (let i = 0; i < options.count; i++) {
    const answer = await generateJson<EditOpSet>(provider, messages, schema, {
      temperature: options.temperature,
      seed: options.seed + i,
      maxTokens: options.maxTokens ?? 1024,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    if (!answer.ok) {
      out.push({ ok: false, reason: answer.reason, raw: answer.raw });
      continue;
    }
    const applied = applyEditOps(context.files, answer.value.ops, { evolvable: context.evolvable });
    if (!applied.ok) {
      out.push({ ok: false, reason: applied.reason, raw: answer.completion.text });
      continue;
    }
    out.push({ ok: true, candidate: { files: applied.files, changed: applied.changed, description: applied.description, ops: answer.value.ops }, raw: answer.completion.text });
  }
  return out;
}
