/**
 * Recording for an `ask` or `chat` session: whether to record (the --no-record flag, then the
 * config's `interactions.record`), the workspace's store, and who serves the requests (the
 * committed HEAD, its generation, the model and its parameters).
 */
import { lastGenerationAt } from "../../ledger/generations.js";
import { openWorkspaceStore } from "../../workspace/interactions.js";
import type { InteractionSource, InteractionStore } from "../../interactions/index.js";
import { createRecorder, newSessionId, type Recorder } from "./recorder.js";
import type { AgentSession } from "./session.js";

export interface SessionRecorder extends Recorder {
  store: InteractionStore;
  close(): void;
}

/**
 * The recorder for a session, or null when recording is off. A store that cannot be opened (corrupt,
 * locked, from a newer evolve) is an error before the model runs: the user can fix it or pass --no-record.
 */
export async function openSessionRecorder(session: AgentSession, source: InteractionSource, record: boolean | undefined): Promise<SessionRecorder | null> {
  if (record === false || session.workspace.config.interactions.record === false) return null;
  const { root, commit } = session.workspace;
  const generation = await lastGenerationAt(root, commit);
  const store = (await openWorkspaceStore(root, { create: true, maxBytes: session.workspace.config.interactions.maxSizeMb * 1048576 }))!;
  const { temperature, topP, maxTokens, seed, maxSteps } = session.agent.params;
  const recorder = createRecorder({
    store,
    source,
    session: source === "ask" ? null : newSessionId(),
    commit,
    generation,
    model: {
      provider: session.settings.provider,
      name: session.settings.model ?? "(server default)",
      params: { temperature, maxTokens, maxSteps, ...(topP !== undefined ? { topP } : {}), ...(seed !== undefined ? { seed } : {}) },
    },
    identity: () => session.provider.info().then((i) => i.identity),
  });
  return {
    context: recorder.context,
    run: recorder.run,
    get lastId() {
      return recorder.lastId;
    },
    store,
    close: () => store.close(),
  };
}
