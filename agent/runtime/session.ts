/**
 * Everything `evolve ask` and `evolve chat` hold for their lifetime: the workspace's agent, the
 * provider the config and flags select, and a sandbox sized by the config. Opened once per process,
 * so a chat loads its model and starts its workers once.
 */
import { openWorkspace, WorkspaceError, type Workspace } from "../../workspace/open.js";
import { LlmError, type Provider } from "../llm/provider.js";
import { resolveSettings, selectProvider, type ModelSection, type ProviderFlags, type ProviderSettings } from "../llm/select.js";
import { createSandbox, type Sandbox } from "../../sandbox/pool.js";
import { prepareAgent, type PreparedAgent } from "./run.js";

export interface AgentSession {
  workspace: Workspace;
  settings: ProviderSettings;
  provider: Provider;
  sandbox: Sandbox;
  agent: PreparedAgent;
  close(): Promise<void>;
}

/**
 * Opens the workspace at `root` (its committed HEAD), prepares the agent and builds the provider. A
 * workspace without a model (provider "none" and no --provider) is refused with what to set.
 */
export async function openAgentSession(root: string, flags: ProviderFlags, cwd = process.cwd()): Promise<AgentSession> {
  const workspace = await openWorkspace(root);
  const settings = resolveSettings(workspace.config.model as ModelSection, flags, { workspace: root, cwd });
  if (settings.provider === "none") {
    throw new WorkspaceError(`no model configured: set model.provider and model.name in ${root}/evolve.config.yaml, or pass --provider and --model`);
  }
  const agent = await prepareAgent(workspace.files, workspace.config);
  const provider = selectProvider(settings);
  if (!provider) throw new LlmError("config", "no provider selected");
  const { timeoutMs, memoryMb } = workspace.config.sandbox;
  // A request runs one tool at a time, so one worker is enough whatever sandbox.workers says.
  const sandbox = createSandbox({ workers: 1, timeoutMs, memoryMb });
  return {
    workspace,
    settings,
    provider,
    sandbox,
    agent,
    async close() {
      await Promise.allSettled([provider.close(), sandbox.destroy()]);
    },
  };
}
