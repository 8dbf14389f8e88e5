/**
 * `evolve chat`: one request per line of stdin, answered like `evolve ask`, with the earlier turns of
 * the conversation as context. `/exit` or end of input ends it; `/reset` forgets the conversation.
 * The model and the sandbox are loaded once for the whole chat.
 */
import { createInterface } from "node:readline";
import type { ChatMessage } from "../../agent/llm/provider.js";
import { runAgent } from "../../agent/runtime/run.js";
import { openAgentSession } from "../../agent/runtime/session.js";
import { c, EXIT, fail } from "../output.js";
import { providerFlags, snapContext, stepLine, type AgentFlags } from "./ask.js";
import { workspaceFromFlag } from "./workspace-flag.js";

/** Earlier turns kept as context: a small model's window fills quickly. */
const HISTORY_TURNS = 4;

export async function chatCommand(flags: AgentFlags): Promise<void> {
  let session;
  let snap: { context?: string };
  try {
    // The snapshot first: if the project cannot be read, no model or sandbox has been started.
    snap = await snapContext(flags);
    session = await openAgentSession(workspaceFromFlag(flags.workspace), providerFlags(flags));
  } catch (err) {
    fail(err);
    return;
  }
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const rl = createInterface({ input: process.stdin, ...(tty ? { output: process.stdout, prompt: "> " } : {}), terminal: tty });
  if (tty) process.stdout.write(`${c.dim(`chat with ${session.workspace.config.agent.name}; /exit to leave, /reset to forget`)}\n`);
  let history: ChatMessage[] = [];
  let failures = 0;
  try {
    if (tty) rl.prompt();
    for await (const line of rl) {
      const request = line.trim();
      if (request === "/exit") break;
      if (request === "/reset") {
        history = [];
      } else if (request) {
        try {
          const result = await runAgent({
            ...snap,
            agent: session.agent,
            provider: session.provider,
            sandbox: session.sandbox,
            request,
            history,
            ...(flags.maxSteps !== undefined ? { maxSteps: flags.maxSteps } : {}),
            onToken: (t) => process.stdout.write(t),
            onStep: (s) => {
              const l = stepLine(s);
              if (l) process.stderr.write(`${l}\n`);
            },
          });
          if (result.ok && result.answer !== null) {
            process.stdout.write("\n");
            history.push({ role: "user", content: request }, { role: "assistant", content: JSON.stringify({ action: "answer", text: result.answer }) });
            history = history.slice(-2 * HISTORY_TURNS);
          } else {
            failures++;
            process.stderr.write(`\n${c.red("no answer:")} ${result.reason}\n`);
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
    await session.close();
  }
  process.exitCode = failures > 0 ? EXIT.failed : (process.exitCode ?? EXIT.ok);
}
