/**
 * Flags and flag parsers several commands share, declared once so that a flag reads and refuses the
 * same way in every command's --help and errors.
 */
import { InvalidArgumentError, type Command } from "commander";

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number >= 0");
  return n;
}

/** `.option(...WORKSPACE_FLAG)`: the workspace flag of every command that finds its workspace from the current directory. */
export const WORKSPACE_FLAG = ["-w, --workspace <dir>", "the workspace (default: the one around the current directory)"] as const;

/** `.option(...WAIT_FLAG)`: every command that takes the workspace lock (see bin/commands/lock.ts). */
export const WAIT_FLAG = ["--wait [seconds]", "if another evolve process is writing to the workspace, wait for it (default 600 s) instead of refusing"] as const;

export const PROVIDER_HELP = "node-llama-cpp | ollama | openai (config: model.provider)";

/** Before the help of a model flag that only a model proposer reads (run, watch). */
export const FOR_PROPOSER = "for --proposer llm|mixed: ";

/** The flags that override the config's `model` section, in this order; `help` rewords --provider or --model for a command. */
export function modelFlags(cmd: Command, help: { provider?: string; model?: string } = {}): Command {
  return cmd
    .option("--provider <name>", help.provider ?? PROVIDER_HELP)
    .option("--model <m>", help.model ?? "a GGUF file (node-llama-cpp) or a served model name (config: model.name)")
    .option("--base-url <url>", "server address for ollama / openai (config: model.baseUrl)")
    .option("--threads <n>", "CPU threads for node-llama-cpp (config: model.threads, default 1)", positiveInt);
}
