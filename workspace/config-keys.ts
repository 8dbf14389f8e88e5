/**
 * Every key of evolve.config.yaml, once: its type and bounds, its default, one line of help and the
 * command-line flag that overrides it. The JSON schema the config is validated with, the defaults,
 * the commented default file `evolve init` writes and the README's configuration table are all made
 * from this table (workspace/config.ts, workspace/config-doc.ts), so a key is added in one place.
 * Plain data: importing it loads no validator.
 */
import { OPERATOR_NAMES } from "./operators.js";
import { DEFAULT_LIVE_THRESHOLDS, LIVE_METRICS } from "../interactions/metrics.js";

/** Metrics the monitor can track: per generation from the golden suite, and live from recorded interactions. */
export const KNOWN_METRICS = ["score", "holdout", "passed", "failed", "evalMs", ...LIVE_METRICS] as const;
/** Model back-ends the proposer can use; "none" means the built-in AST operators only. */
export const MODEL_PROVIDERS = ["none", "node-llama-cpp", "ollama", "openai"] as const;
/** Paths no configuration can make evolvable: the judge, the config itself, git and evolve's own state. */
export const ALWAYS_PROTECTED: readonly string[] = Object.freeze(["golden-tests/**", "evolve.config.yaml", ".git/**", ".evolve/**"]);

/** What a key holds, with its bounds. `globs` are workspace-relative patterns, checked to compile. */
export type KeyType =
  | { kind: "version" }
  | { kind: "integer"; min?: number; max?: number }
  | { kind: "number"; min?: number; max?: number; above?: number }
  | { kind: "boolean" }
  | { kind: "string"; minLength?: number }
  | { kind: "url" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "list"; of: "glob" | "string" | readonly string[]; minItems?: number }
  /** A whole number of generations (>= 0), or a duration such as `30m`, `1h`, `7d`. */
  | { kind: "generations-or-duration" };

/** One configuration key. */
export interface ConfigKey {
  /** Dotted path in the YAML, e.g. `evolution.generations`. */
  readonly key: string;
  readonly type: KeyType;
  /** The value a missing key takes; undefined for optional keys, which have no default. */
  readonly default?: unknown;
  /** For optional keys: a sample value, shown commented out in the default file. */
  readonly example?: unknown;
  /** One line: what the key changes. */
  readonly help: string;
  /** Command-line flags that override the key (`evolve run -g`), as `command: --flag`. */
  readonly flags?: readonly string[];
  /** More for the README's table (after `help`): consequences, related commands. */
  readonly details?: string;
  /** A comment line the default file shows above the key. */
  readonly note?: string;
}

const live = DEFAULT_LIVE_THRESHOLDS;

/** The table. Order is the order of the default file and the README. */
export const CONFIG_KEYS: readonly ConfigKey[] = Object.freeze([
  { key: "version", type: { kind: "version" }, default: 1, help: "format of this file" },
  { key: "agent.name", type: { kind: "string", minLength: 1 }, default: "agent", help: "shown in logs and commit messages" },
  { key: "agent.description", type: { kind: "string" }, example: "what the agent does", help: "what the agent does, for people and models" },
  {
    key: "evolvable",
    type: { kind: "list", of: "glob", minItems: 1 },
    default: ["agent/tools/**/*.ts", "agent/prompts/**", "agent/params.json"],
    help: "files evolution may edit (globs relative to the workspace root)",
    note: `Always protected, whatever the lists below say: ${ALWAYS_PROTECTED.join(", ")}`,
  },
  { key: "protected", type: { kind: "list", of: "glob" }, default: [], help: "extra globs evolution must never edit" },
  { key: "evolution.generations", type: { kind: "integer", min: 1 }, default: 10, details: "a round that finds nothing commits nothing", help: "generations per `evolve run`", flags: ["run: -g, --generations"] },
  { key: "evolution.candidatesPerGeneration", type: { kind: "integer", min: 1 }, default: 32, help: "candidates evaluated per generation", flags: ["run: -c, --candidates"] },
  { key: "evolution.budget", type: { kind: "integer", min: 1 }, default: 400, help: "candidates evaluated per run, all generations together", flags: ["run: -b, --budget"] },
  { key: "evolution.seed", type: { kind: "integer" }, default: 1, details: "recorded as `Evolve-Seed`", help: "RNG seed: same seed and tree, same run", flags: ["run: -s, --seed"] },
  { key: "evolution.operators", type: { kind: "list", of: ["all", ...OPERATOR_NAMES], minItems: 1 }, default: ["all"], help: 'mutation operators to use ("all" for every one)' },
  { key: "improvement.threshold", type: { kind: "number", min: 0 }, default: 0.0001, help: "minimum train-score gain to accept a candidate" },
  {
    key: "reflection.interval",
    type: { kind: "generations-or-duration" },
    default: 5,
    details: "re-planning reorders operators by what worked before (learning memory read back from trailers and attempt notes); `evolve run` counts generations, a duration is for long-running commands", help: "reflect on past attempts every N generations (0 = never), or every duration (30m, 1h, 7d) in long-running commands",
  },
  { key: "safety.maxChangesPerCycle", type: { kind: "integer", min: 1 }, default: 2, details: "pairs are tried after single edits", help: "edits in one candidate" },
  { key: "safety.requireTestSuite", type: { kind: "boolean" }, default: true, help: "refuse to run without golden cases" },
  { key: "safety.rollbackOnRegression", type: { kind: "boolean" }, default: true, details: "if the tip now scores below what its trailer recorded, it is re-measured and reverted before evolving", help: "revert a generation that a recheck shows worse" },
  { key: "safety.recheckRepeats", type: { kind: "integer", min: 0 }, default: 2, details: "any difference between the runs rejects the winner as flaky", help: "re-evaluations of an accepted candidate (flakiness guard)" },
  { key: "safety.approvalAboveLines", type: { kind: "integer", min: 0 }, default: 40, help: "diffs changing more lines wait for human approval", flags: ["run: --approve-large"] },
  {
    key: "monitoring.metrics",
    type: { kind: "list", of: KNOWN_METRICS },
    default: ["score", "holdout", "passed", "evalMs", "response_time", "user_satisfaction", "task_success_rate", "error_rate"],
    details: "per generation from the golden suite (trends in `evolve run --json`), live from recorded interactions (alerts and regression tests in `evolve stats`)", help: "metrics tracked per generation",
  },
  { key: "monitoring.alerts.scoreDrop", type: { kind: "number", min: 0 }, default: 0.05, help: "alert when the train score falls this far below its best" },
  { key: "monitoring.alerts.holdoutDrop", type: { kind: "number", min: 0 }, default: 0.05, help: "alert when the holdout score falls this far below its best" },
  { key: "monitoring.alerts.evalMsRise", type: { kind: "number", min: 1 }, default: 2, help: "alert when evaluation takes this many times the first generation's time" },
  { key: "monitoring.alerts.responseTimeMs", type: { kind: "number", min: 0 }, default: live.responseTimeMs, help: "live: alert when the p95 response time exceeds this" },
  { key: "monitoring.alerts.errorRate", type: { kind: "number", min: 0, max: 1 }, default: live.errorRate, help: "live: alert when more than this share of requests get no answer" },
  { key: "monitoring.alerts.userSatisfaction", type: { kind: "number", min: 1, max: 5 }, default: live.userSatisfaction, help: "live: alert when the mean rating (1-5) falls below this" },
  { key: "monitoring.minSamples", type: { kind: "integer", min: 1 }, default: live.minSamples, help: "live: interactions each generation needs before alerts and regression tests" },
  { key: "interactions.record", type: { kind: "boolean" }, default: true, details: "false: as if `--no-record` were always given", help: "evolve ask/chat record each request in .git/evolve/interactions.sqlite", flags: ["ask, chat: --no-record"] },
  { key: "interactions.maxSizeMb", type: { kind: "number", above: 0 }, default: 1024, help: "size cap of that file; past it recording fails until old ones are purged" },
  { key: "serve.host", type: { kind: "string", minLength: 1 }, default: "127.0.0.1", help: "evolve serve binds here; anything but loopback needs a bearer token", flags: ["serve: --host"] },
  { key: "serve.port", type: { kind: "integer", min: 0, max: 65535 }, default: 8080, help: "evolve serve port", flags: ["serve: --port"] },
  { key: "serve.maxRequestBytes", type: { kind: "integer", min: 1024 }, default: 1048576, help: "larger request bodies are refused (413)" },
  { key: "serve.maxConcurrent", type: { kind: "integer", min: 1 }, default: 4, help: "requests served at once; more get 429" },
  { key: "serve.reloadMs", type: { kind: "integer", min: 50 }, default: 1000, help: "how often the server looks for a new generation to serve" },
  { key: "watch.debounceMs", type: { kind: "integer", min: 0 }, default: 1000, help: "quiet time after a file change before the tip is re-measured (evolve watch)" },
  { key: "watch.badFeedback", type: { kind: "integer", min: 0 }, default: 5, help: "new bad interactions that start a watch cycle (0 = never)" },
  { key: "evaluation.redis", type: { kind: "string", minLength: 1 }, example: "redis://10.0.0.5:6379", details: "the password goes in `$EVOLVE_REDIS_PASSWORD`, never in this file", help: "evaluate candidates on `evolve worker` processes through this Redis", flags: ["run: --redis"] },
  { key: "sandbox.timeoutMs", type: { kind: "integer", min: 1 }, default: 1000, help: "time limit per golden case" },
  { key: "sandbox.memoryMb", type: { kind: "integer", min: 16 }, default: 128, help: "heap limit per sandbox worker" },
  { key: "sandbox.workers", type: { kind: "integer", min: 1 }, default: 2, help: "sandbox worker processes" },
  { key: "sandbox.maxCaseTimeoutMs", type: { kind: "integer", min: 1 }, default: 30000, help: "the most a golden case's own timeoutMs may ask for" },
  { key: "sandbox.tools", type: { kind: "list", of: "glob", minItems: 1 }, default: ["agent/tools/*.ts"], details: "evolve init --here lists the modules it found", help: "modules whose exported functions are the agent's tools" },
  { key: "sandbox.allowImports", type: { kind: "list", of: "string" }, default: [], details: "node builtins never", help: "packages tools may import (none: tools are self-contained)" },
  { key: "model.provider", type: { kind: "enum", values: MODEL_PROVIDERS }, default: "none", details: "used by `--proposer llm`, `ask`, `chat`, `doctor`, `tune`", help: "where model calls go; none: the built-in operators only, no model", flags: ["run, ask, chat, doctor, tune: --provider"] },
  { key: "model.name", type: { kind: "string", minLength: 1 }, example: "model name, or path of a .gguf file", help: "served model name, or a .gguf file (relative to the workspace)", flags: ["run, ask, chat, doctor, tune: --model"] },
  { key: "model.baseUrl", type: { kind: "url" }, example: "http://127.0.0.1:11434", details: "default `http://127.0.0.1:11434` for Ollama, `http://127.0.0.1:1234/v1` for OpenAI-compatible; a remote address needs `model.allowRemote`", help: "server address for ollama / openai", flags: ["run, ask, chat, doctor, tune: --base-url"] },
  { key: "model.allowRemote", type: { kind: "boolean" }, example: false, help: "permit a base URL outside this machine and the private network (default false)" },
  { key: "model.threads", type: { kind: "integer", min: 1 }, example: 1, help: "CPU threads for node-llama-cpp (default 1)", flags: ["run, ask, chat, doctor, tune: --threads"] },
  { key: "model.contextSize", type: { kind: "integer", min: 64 }, example: 2048, help: "context window in tokens for node-llama-cpp (default: the model's)" },
  { key: "model.concurrency", type: { kind: "integer", min: 1 }, example: 1, help: "model requests in flight at once (default 1)" },
  { key: "model.timeoutMs", type: { kind: "integer", min: 1 }, example: 300000, help: "deadline of one model call in ms (default 300000)" },
  { key: "model.retries", type: { kind: "integer", min: 0 }, example: 3, help: "retries of connection errors and 5xx answers, HTTP providers (default 3)" },
  { key: "history.attemptsRetention", type: { kind: "integer", min: 0 }, default: 50, details: "older notes become garbage for `git gc`", help: "keep rejected-attempt notes of the newest N base commits (0 = all)" },
  { key: "history.attemptsPerBase", type: { kind: "integer", min: 0 }, default: 1000, help: "at most this many attempts per base commit, newest kept (0 = no limit)" },
  { key: "history.tagRepeats", type: { kind: "integer", min: 1 }, default: 3, help: "suite runs `evolve tag` makes; any difference between them refuses the tag", flags: ["tag: -r, --repeats"] },
] satisfies ConfigKey[]);

/** The sections of the table in order (`agent`, `evolution`, ...; "" for top-level keys), each with its keys. */
export function sectionsOf(keys: readonly ConfigKey[] = CONFIG_KEYS): Map<string, ConfigKey[]> {
  const out = new Map<string, ConfigKey[]>();
  for (const k of keys) {
    const dot = k.key.indexOf(".");
    const section = dot < 0 ? "" : k.key.slice(0, dot);
    out.set(section, [...(out.get(section) ?? []), k]);
  }
  return out;
}
