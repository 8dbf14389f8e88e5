/**
 * `evolve chat`: one request per line of stdin, answered like `evolve ask`, with the earlier turns of
 * the conversation as context. `/exit` or end of input ends it; `/reset` forgets the conversation;
 * `/good`, `/bad [expected answer]` and `/rate N` give feedback on the last answer. Every turn is
 * recorded unless --no-record (or `interactions.record: false`). The model and the sandbox are
 * loaded once for the whole chat.
 */
import { createInterface } from "node:readline";
import type { ChatMessage } from "../../agent/llm/provider.js";
import { runAgent, type AgentResult, type RunAgentOptions } from "../../agent/runtime/run.js";
import { openAgentSession, type AgentSession } from "../../agent/runtime/session.js";
import { openSessionRecorder, type SessionRecorder } from "../../agent/runtime/session-recorder.js";
import { explicitFeedback, parseChatFeedback } from "../../interactions/index.js";
import { EvolveError } from "../../kernel/errors.js";
import { c, EXIT, fail, setExitCode, exitCode, output } from "../output.js";
import { providerFlags, recordedLine, reportRecordError, snapContext, stepLine, type AgentFlags } from "./ask.js";
import { workspaceFromFlag } from "./workspace-flag.js";

/** Earlier turns kept as context: a small model's window fills quickly. */
const HISTORY_TURNS = 4;

/** Applies a feedback command to the chat's last interaction; false when the line is not one. */
function feedbackCommand(line: string, recorder: SessionRecorder | null): boolean {
  let parsed;
  try {
    parsed = parseChatFeedback(line);
    if (parsed === null) return false;
    if (recorder === null) throw new EvolveError("usage", "feedback needs recording, and this chat runs with --no-record (or interactions.record: false)");
    const id = recorder.lastId;
    if (id === null) throw new EvolveError("usage", "nothing to give feedback on yet: ask something first");
    const f = recorder.store.addFeedback(id, explicitFeedback(parsed));
    output(false).warn(`${c.dim(`feedback on interaction ${id}: ${f.signal}${f.signal === "rating" ? ` ${f.rating}` : ""}${f.expected ? ", with the expected answer" : ""}`)}`);
  } catch (err) {
    // A mistyped command does not end the chat, and does not make it fail.
    const code = exitCode();
    fail(err);
    setExitCode(code);
  }
  return true;
}

/** One request, recorded when the chat records; an answer ends its line before anything else is said. */
async function turn(recorder: SessionRecorder | null, options: RunAgentOptions): Promise<AgentResult> {
  const recorded = recorder === null ? null : await recorder.run(options);
  const result = recorded?.result ?? (await runAgent(options));
  if (result.ok) output(false).write("\n");
  if (recorded === null) return result;
  if (recorded.recordError) reportRecordError(recorded.recordError);
  else output(false).warn(`${recordedLine(recorded.interactionId)}`);
  return recorded.result;
}

export async function chatCommand(flags: AgentFlags): Promise<void> {
  let session: AgentSession;
  let snap: { context?: string };
  let recorder: SessionRecorder | null;
  try {
    // The snapshot first: if the project cannot be read, no model or sandbox has been started.
    snap = await snapContext(flags);
    session = await openAgentSession(workspaceFromFlag(flags.workspace), providerFlags(flags));
  } catch (err) {
    fail(err);
    return;
  }
  try {
    recorder = await openSessionRecorder(session, "chat", flags.record);
  } catch (err) {
    await session.close();
    fail(err);
    return;
  }
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const rl = createInterface({ input: process.stdin, ...(tty ? { output: process.stdout, prompt: "> " } : {}), terminal: tty });
  if (tty) process.stdout.write(`${c.dim(`chat with ${session.workspace.config.agent.name}; /exit to leave, /reset to forget, /good, /bad [expected], /rate 1-5 on the last answer`)}\n`);
  let history: ChatMessage[] = [];
  let failures = 0;
  try {
    if (tty) rl.prompt();
    for await (const line of rl) {
      const request = line.trim();
      if (request === "/exit") break;
      if (request === "/reset") {
        history = [];
      } else if (request && !feedbackCommand(request, recorder)) {
        try {
          const result = await turn(recorder, {
            ...snap,
            agent: session.agent,
            provider: session.provider,
            sandbox: session.sandbox,
            request,
            history,
            ...(flags.maxSteps !== undefined ? { maxSteps: flags.maxSteps } : {}),
            onToken: (t) => output(false).write(t),
            onStep: (s) => {
              const l = stepLine(s);
              if (l) output(false).warn(`${l}`);
            },
          });
          if (result.ok && result.answer !== null) {
            history.push({ role: "user", content: request }, { role: "assistant", content: JSON.stringify({ action: "answer", text: result.answer }) });
            history = history.slice(-2 * HISTORY_TURNS);
          } else {
            failures++;
            output(false).warn(`\n${c.red("no answer:")} ${result.reason}`);
          }
        } catch (err) {
          // One failed request (a server that went away) does not end the chat.
          failures++;
          fail(err);
        }
      }
      if (tty) rl.prompt();
    }
  } finally {
    rl.close();
    recorder?.close();
    await session.close();
  }
  setExitCode(failures > 0 ? EXIT.failed : exitCode());
}
