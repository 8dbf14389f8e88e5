/**
 * The model's own reflection on how the agent fails in use (reflective prompt evolution, as GEPA
 * does): it reads the failure clusters with examples, the current prompts and parameters, and
 * answers in a schema (file and parameter names are enums of what exists) with an analysis and
 * proposals: prompt rewrites and parameter changes, each naming the clusters it addresses. A
 * proposal becomes a tuning Variant and goes through the same paired A/B gate as the built-in
 * rewrites; one that is malformed or sets a parameter out of range is dropped with its reason.
 */
import type { FileMap } from "../kernel/files.js";
import type { ChatMessage, Provider } from "../agent/llm/provider.js";
import { generateJson } from "../agent/llm/structured.js";
import { agentParams, PARAMS_FILE } from "../agent/runtime/params.js";
import type { FailureCluster } from "../interactions/index.js";
import { setParam, type Variant } from "../tuning/tune.js";
import { isEvolveError } from "../kernel/errors.js";

/** Parameters the model may propose, with the runtime's own range check deciding. */
export const TUNABLE_PARAMS = ["temperature", "topP", "maxTokens", "maxSteps"] as const;
const MAX_PROMPT_CHARS = 4000;
const MAX_PROPOSALS = 4;

export interface ReflectionProposal {
  kind: "prompt-rewrite" | "param";
  file?: string;
  text?: string;
  key?: (typeof TUNABLE_PARAMS)[number];
  value?: number;
  /** Cluster ids this proposal aims at. */
  addresses: string[];
  why: string;
}

export interface ModelReflection {
  analysis: string;
  proposals: ReflectionProposal[];
}

export type ModelReflectionResult =
  | { ok: true; reflection: ModelReflection; variants: Array<{ variant: Variant; addresses: string[] }>; dropped: string[] }
  | { ok: false; reason: string; raw: string };

const promptFiles = (files: FileMap): string[] => [...files.keys()].filter((p) => /^agent\/prompts\/[^/]+\.md$/.test(p)).sort();

/** The answer's schema: enums name the workspace's real prompt files, parameters and clusters. */
export function reflectionSchema(files: FileMap, clusters: readonly FailureCluster[]): object {
  const prompts = promptFiles(files);
  const ids = clusters.map((c) => c.id);
  return {
    type: "object",
    additionalProperties: false,
    required: ["analysis", "proposals"],
    properties: {
      analysis: { type: "string", maxLength: 800 },
      proposals: {
        type: "array",
        maxItems: MAX_PROPOSALS,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["kind", "addresses", "why"],
          properties: {
            kind: { enum: ["prompt-rewrite", "param"] },
            ...(prompts.length > 0 ? { file: { enum: prompts }, text: { type: "string", minLength: 1, maxLength: MAX_PROMPT_CHARS } } : {}),
            key: { enum: [...TUNABLE_PARAMS] },
            value: { type: "number" },
            addresses: { type: "array", minItems: 1, items: ids.length > 0 ? { enum: ids } : { type: "string" } },
            why: { type: "string", maxLength: 300 },
          },
        },
      },
    },
  };
}

/** What the model is shown: the clusters with examples, the prompts and the parameters. */
export function reflectionPrompt(files: FileMap, clusters: readonly FailureCluster[]): ChatMessage[] {
  const clusterText = clusters
    .map((c) => {
      const ex = c.examples.map((e) => `  - #${e.id} request: ${JSON.stringify(e.request)}; answer: ${JSON.stringify(e.answer)}${e.error ? `; error: ${JSON.stringify(e.error)}` : ""}${e.expected ? `; expected: ${JSON.stringify(e.expected)}` : ""}`);
      return [`cluster ${c.id} (${c.interactions.length} interactions; feedback: ${c.signals.join(", ") || "none"})`, ...ex].join("\n");
    })
    .join("\n");
  const prompts = promptFiles(files).map((p) => `--- ${p}\n${(files.get(p) ?? "").slice(0, MAX_PROMPT_CHARS)}`).join("\n");
  const params = JSON.stringify(agentParams(files));
  return [
    {
      role: "system",
      content:
        "You improve an LLM agent from how it failed in use. Read the failure clusters, say in `analysis` what the failures have in common, then propose at most 4 changes: " +
        "`prompt-rewrite` (file + the whole new text) or `param` (key + value). Each names in `addresses` the clusters it should fix. Answer with JSON only.",
    },
    { role: "user", content: `Failure clusters:\n${clusterText || "(none)"}\n\nPrompts:\n${prompts || "(none)"}\n\nParameters (${PARAMS_FILE}): ${params}` },
  ];
}

/** Asks the model, then turns valid proposals into variants (dropping the rest, with reasons). */
export async function reflectWithModel(provider: Provider, files: FileMap, clusters: readonly FailureCluster[], options: { seed?: number; maxTokens?: number; timeoutMs?: number } = {}): Promise<ModelReflectionResult> {
  const answer = await generateJson<ModelReflection>(provider, reflectionPrompt(files, clusters), reflectionSchema(files, clusters), {
    temperature: 0,
    seed: options.seed ?? 1,
    maxTokens: options.maxTokens ?? 1500,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (!answer.ok) return { ok: false, reason: answer.reason, raw: answer.raw.slice(0, 2000) };
  const variants: Array<{ variant: Variant; addresses: string[] }> = [];
  const dropped: string[] = [];
  answer.value.proposals.forEach((p, i) => {
    const v = toVariant(files, p);
    if (typeof v === "string") dropped.push(`proposal ${i + 1}: ${v}`);
    else variants.push({ variant: v, addresses: p.addresses });
  });
  return { ok: true, reflection: answer.value, variants, dropped };
}

/** A proposal as a Variant, or why it cannot be one. */
export function toVariant(files: FileMap, p: ReflectionProposal): Variant | string {
  const aim = `for ${p.addresses.join(", ")}`;
  if (p.kind === "prompt-rewrite") {
    if (p.file === undefined || p.text === undefined) return "a prompt rewrite needs `file` and `text`";
    const text = p.text.endsWith("\n") ? p.text : `${p.text}\n`;
    if (text === files.get(p.file)) return `the rewrite of ${p.file} changes nothing`;
    return { action: "prompt-tuning", operator: "model-prompt-rewrite", description: `${p.file}: rewritten by the model's reflection ${aim} (${p.why.slice(0, 120)})`, changes: new Map([[p.file, text]]) };
  }
  if (p.key === undefined || p.value === undefined) return "a parameter change needs `key` and `value`";
  const before = files.get(PARAMS_FILE) ?? "";
  const after = setParam(before, p.key, p.value);
  if (after === before) return `${p.key} is already ${p.value}`;
  try {
    agentParams(new Map([...files, [PARAMS_FILE, after]]));
  } catch (e) {
    // The runtime's own check names the key and the allowed range.
    if (isEvolveError(e)) return e.message;
    throw e;
  }
  return { action: "parameter-adjustment", operator: `model-param:${p.key}`, description: `${PARAMS_FILE}: ${p.key} -> ${p.value} (the model's reflection ${aim}: ${p.why.slice(0, 120)})`, changes: new Map([[PARAMS_FILE, after]]) };
}
