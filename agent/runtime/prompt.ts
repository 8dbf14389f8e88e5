/**
 * The conversation the model sees. The system message is the agent's own template
 * (agent/prompts/system.md, evolvable) filled by ./template.ts, then the runtime's fixed contract:
 * the tool catalogue (unless the template placed `{{tools}}` itself) and the reply format. The
 * contract stays outside the template because the runtime's schema enforces it.
 */
import type { ChatMessage } from "../llm/provider.js";
import type { FileMap } from "../../kernel/files.js";
import type { EvolveConfig } from "../../workspace/config.js";
import { renderCatalogue, type ToolSpec } from "./catalogue.js";
import { fillTemplate, placeholders } from "./template.js";

export const SYSTEM_TEMPLATE_FILE = "agent/prompts/system.md";

/** Used when the workspace has no agent/prompts/system.md. */
export const DEFAULT_SYSTEM_TEMPLATE = "You are {{agent.name}}, a helpful local agent. Use your tools when they can answer.\n";

export interface PromptContext {
  files: FileMap;
  config: Pick<EvolveConfig, "agent">;
  tools: readonly ToolSpec[];
  request: string;
  /** Extra context for `{{context}}` (e.g. a project snapshot); "" when none. */
  context?: string;
  /** agent/params.json as data, for `{{params.KEY}}`. */
  params: Record<string, unknown>;
}

const CONTRACT_TOOLS = 'To call a tool, reply {"action":"tool","tool":"<name>","args":[<arguments in order>]}; its result comes back in the next message.';
const CONTRACT_ANSWER = 'To answer the user, reply {"action":"answer","text":"<your answer>"}. Reply with that one JSON object and nothing else.';

/** The filled system message. Template errors throw WorkspaceInputError with file, line and placeholder. */
export function systemPrompt(p: PromptContext): string {
  const file = p.files.has(SYSTEM_TEMPLATE_FILE) ? SYSTEM_TEMPLATE_FILE : "(built-in system template)";
  const template = p.files.get(SYSTEM_TEMPLATE_FILE) ?? DEFAULT_SYSTEM_TEMPLATE;
  const catalogue = p.tools.length ? renderCatalogue(p.tools) : "(no tools)";
  const values = {
    request: p.request,
    tools: catalogue,
    context: p.context ?? "",
    agent: { name: p.config.agent.name, description: p.config.agent.description ?? "" },
    params: p.params,
  };
  const used = new Set(placeholders(template, file).map((x) => x.name));
  let out = fillTemplate(template, values, file).trimEnd();
  if (!used.has("context") && p.context) out += `\n\n${p.context.trimEnd()}`;
  if (p.tools.length && !used.has("tools")) out += `\n\nTools:\n${catalogue}`;
  out += `\n\n${p.tools.length ? `${CONTRACT_TOOLS}\n` : ""}${CONTRACT_ANSWER}`;
  return out;
}

/** The message that carries a tool's result back to the model. */
export function toolResultMessage(call: string, result: string, last: boolean): ChatMessage {
  return { role: "user", content: `${call} returned ${result}${last ? "\nNow answer." : ""}` };
}

/** The message that tells the model its reply was refused, so it can try again. */
export function refusalMessage(reason: string, last: boolean): ChatMessage {
  return { role: "user", content: `Your reply was refused: ${reason}.${last ? " Now answer." : " Reply with one JSON object."}` };
}
