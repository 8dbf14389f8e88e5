/**
 * Warnings from any layer (a damaged cache, a setting ignored): one line, `warning: ...`, with URL
 * credentials redacted. They go to the current command's stderr: the command line installs its
 * invocation's stream with `withWarningSink` (bin/output.ts), so a warning raised deep in the ledger
 * lands with the command that caused it, also when several run in one process.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { redact } from "./redact.js";

const sinks = new AsyncLocalStorage<(text: string) => void>();

/** Writes `warning: <message>` to the current sink (the process's stderr outside any). */
export function warn(message: string): void {
  const line = `warning: ${redact(message)}\n`;
  const sink = sinks.getStore();
  if (sink !== undefined) sink(line);
  else process.stderr.write(line);
}

/** Runs `body` with warnings going to `sink`. */
export function withWarningSink<T>(sink: (text: string) => void, body: () => T): T {
  return sinks.run(sink, body);
}
