/** The agent runtime: prompt templates, the tool catalogue, the decision schema and the ask loop. */
export { fillTemplate, placeholders, type Placeholder, type TemplateValues } from "./template.js";
export { toolCatalogue, renderCatalogue, ARG_STRING_MAX, type ToolParam, type ToolSpec } from "./catalogue.js";
export { decisionSchema, parseDecision, ANSWER_MAX, type Decision } from "./decision.js";
export { fieldStream, type FieldStream } from "./json-stream.js";
export { agentParams, readParamsJson, DEFAULT_AGENT_PARAMS, PARAMS_FILE, type AgentParams } from "./params.js";
export { systemPrompt, DEFAULT_SYSTEM_TEMPLATE, SYSTEM_TEMPLATE_FILE, type PromptContext } from "./prompt.js";
export { prepareAgent, runAgent, showValue, AgentBuildError, type AgentResult, type AgentStep, type AgentStop, type PreparedAgent, type RunAgentOptions } from "./run.js";
export { openAgentSession, type AgentSession } from "./session.js";
