/**
 * `evolve serve`: the workspace's agent behind an OpenAI-compatible endpoint (loopback by default),
 * every request recorded, new generations picked up as they are committed. Start-up problems (a
 * port in use, a bad token, a missing model file, tools that do not build) are one line and exit 2;
 * once serving, a failing request is that request's error and the server goes on. SIGINT or SIGTERM
 * stop it: requests in flight finish first.
 */
import { c, fail } from "../output.js";
import { providerFlags, type AgentFlags } from "./ask.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface ServeFlags extends AgentFlags {
  host?: string;
  port?: number;
  token?: string;
  improve?: boolean;
  proposer?: "builtin" | "llm" | "mixed";
}

/** A timestamped line on stderr: the server's log. */
export function logLine(line: string): void {
  process.stderr.write(`${c.dim(new Date().toISOString())} ${line}\n`);
}

/** Resolves at the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(s);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

export async function serveCommand(flags: ServeFlags): Promise<void> {
  const { startServe } = await import("../../serve/start.js");
  let running;
  let root: string;
  // With --improve, each reload is followed by a live-regression check of the generation now served.
  let afterReload: () => void = () => undefined;
  try {
    root = workspaceFromFlag(flags.workspace);
    running = await startServe({
      root,
      model: providerFlags(flags),
      ...(flags.host !== undefined ? { host: flags.host } : {}),
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      ...(flags.token !== undefined ? { token: flags.token } : {}),
      ...(flags.record === false ? { record: false } : {}),
      log: logLine,
      onReload: (next, previous) => {
        logLine(`now serving generation ${next.generation} (${next.commit.slice(0, 10)}), was ${previous.generation} (${previous.commit.slice(0, 10)}); requests in flight finish on the one they started with`);
        afterReload();
      },
    });
  } catch (err) {
    fail(err);
    return;
  }
  const g = running.generations.current();
  process.stdout.write(`evolve serve: agent ${c.bold(g.config.agent.name)} generation ${g.generation} (${g.commit.slice(0, 10)}, branch ${running.generations.branch}) at ${c.bold(`${running.server.url}/v1`)}\n`);
  if (running.token !== null) process.stdout.write(`bearer token${running.generatedToken ? " (generated)" : ""}: ${running.token}\n`);
  process.stdout.write(`${running.store ? "every request is recorded; feedback: POST /v1/feedback {id, good|bad|rating}" : "recording is off"}; stop with Ctrl-C\n`);
  let watcher = null;
  if (flags.improve) {
    try {
      const { startWatchCommand } = await import("./watch.js");
      watcher = await startWatchCommand(root, flags, "evolve serve --improve");
      const w = watcher;
      afterReload = () => void w.checkLive();
      logLine("improving in the background: golden tests, evolvable files, config, schedule and feedback start cycles");
    } catch (err) {
      await running.close();
      fail(err);
      return;
    }
  }
  const signal = await untilSignal();
  logLine(`${signal}: finishing requests in flight${watcher ? " and stopping the improvement cycle before its next round" : ""}, then stopping`);
  await Promise.all([watcher?.stop(), running.close()]);
}
