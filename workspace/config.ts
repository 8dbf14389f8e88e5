import { posix } from "node:path";
import { Ajv } from "ajv";
import picomatch from "picomatch";
import { OPERATOR_NAMES } from "./operators.js";
import { DEFAULT_LIVE_THRESHOLDS, LIVE_METRICS } from "../interactions/metrics.js";
import { parseDuration } from "../interactions/time.js";
import { ajvError, inputError, parseYaml } from "../kernel/yaml-errors.js";
import type { FieldPath, YamlSource } from "../kernel/yaml-errors.js";

/** Metrics the monitor can track: per generation from the golden suite, and live from recorded interactions. */
export const KNOWN_METRICS = ["score", "holdout", "passed", "failed", "evalMs", ...LIVE_METRICS] as const;
/** Model back-ends the proposer can use; "none" means the built-in AST operators only. */
export const MODEL_PROVIDERS = ["none", "node-llama-cpp", "ollama", "openai"] as const;

/** The workspace's `evolve.config.yaml`, with every default filled in. */
export interface EvolveConfig {
  version: 1;
  agent: { name: string; description?: string };
  /** Globs of files evolution may edit (protected paths excluded even when they match). */
  evolvable: string[];
  /** Globs the user protects in addition to ALWAYS_PROTECTED. */
  protected: string[];
  evolution: {
    /** Generations per `evolve run`. */
    generations: number;
    candidatesPerGeneration: number;
    /** Total candidates evaluated per run, across generations. */
    budget: number;
    /** Seed of the RNG that breaks ties between equally suspicious edits. */
    seed: number;
    /** Mutation operators to use; ["all"] for every one. */
    operators: string[];
  };
  improvement: {
    /** Minimum train-score gain for a candidate to be accepted. */
    threshold: number;
  };
  reflection: {
    /** Reflect on the attempt history every N generations (0 = never). */
    interval: number;
    /**
     * Wall-clock schedule of improvement cycles under `evolve watch` / `evolve serve --improve`, in
     * ms: set when `interval` is written as a duration (`1h`, `30m`); null when it is a count.
     */
    everyMs: number | null;
  };
  safety: {
    /** Edits in one candidate. */
    maxChangesPerCycle: number;
    /** Refuse to run without golden cases. */
    requireTestSuite: boolean;
    /** Revert an accepted generation when a recheck shows a regression. */
    rollbackOnRegression: boolean;
    /** Extra evaluations of an accepted candidate, to rule out flaky gains. */
    recheckRepeats: number;
    /** Diffs with more changed lines than this wait for human approval. */
    approvalAboveLines: number;
  };
  monitoring: {
    metrics: string[];
    alerts: {
      /** Alert when the train score falls by more than this from the best seen. */
      scoreDrop: number;
      /** Alert when the holdout score falls by more than this from the best seen. */
      holdoutDrop: number;
      /** Alert when evaluation time exceeds this multiple of the first generation's. */
      evalMsRise: number;
      /** Live: alert when the p95 response time exceeds this many ms. */
      responseTimeMs: number;
      /** Live: alert when the share of requests without an answer exceeds this (0..1). */
      errorRate: number;
      /** Live: alert when the mean rating (1..5) falls below this. */
      userSatisfaction: number;
    };
    /** Live: interactions (ratings, for satisfaction) each side needs before a live figure alerts or is tested for regression. */
    minSamples: number;
  };
  /** The interaction store (.git/evolve/interactions.sqlite). */
  interactions: {
    /** `evolve ask` and `evolve chat` record every request (off: as if --no-record were always given). */
    record: boolean;
    /** Size cap of the store file in MB: past it, recording fails like a full disk until old interactions are purged. */
    maxSizeMb: number;
  };
  /** `evolve serve`: the OpenAI-compatible endpoint. */
  serve: {
    /** Address to bind; anything but loopback requires a bearer token. */
    host: string;
    port: number;
    /** Largest request body accepted, in bytes (413 past it). */
    maxRequestBytes: number;
    /** Requests served at once; more get 429 at once rather than a queue no client can see. */
    maxConcurrent: number;
    /** How often the branch tip is checked for a new generation to serve, ms. */
    reloadMs: number;
  };
  /** `evolve watch` and `evolve serve --improve`: what starts an improvement cycle. */
  watch: {
    /** Quiet time after the last file change before the tip is re-measured, ms. */
    debounceMs: number;
    /** Start a cycle once this many new interactions got bad feedback (0 = never). */
    badFeedback: number;
  };
  /** Where candidates are evaluated: the local sandbox pool (default), or queue workers. */
  evaluation: {
    /**
     * Redis URL of the evaluation queue (`redis://host:port`, `rediss://` for TLS): candidates are
     * run by `evolve worker` processes. A password goes in $EVOLVE_REDIS_PASSWORD, never in this
     * committed file.
     */
    redis?: string;
  };
  sandbox: {
    /** Per-case time limit. */
    timeoutMs: number;
    /** The largest `timeoutMs` a golden case may set for itself. */
    maxCaseTimeoutMs: number;
    /** Heap limit of a sandbox worker. */
    memoryMb: number;
    workers: number;
    /** Packages tools may import (none by default: tools are self-contained). */
    allowImports: string[];
    /** Globs of the modules whose exported functions are the agent's tools. */
    tools: string[];
  };
  model: {
    provider: (typeof MODEL_PROVIDERS)[number];
    /** Served model name, or the path of a .gguf file (relative to the workspace). */
    name?: string;
    baseUrl?: string;
    /** Permit a base URL outside this machine and the private network. */
    allowRemote?: boolean;
    /** CPU threads for node-llama-cpp (default 1). */
    threads?: number;
    /** Context window in tokens for node-llama-cpp. */
    contextSize?: number;
    /** Model requests in flight at once (default 1). */
    concurrency?: number;
    /** Deadline of one model call. */
    timeoutMs?: number;
    /** Retries of connection errors and 5xx answers (HTTP providers). */
    retries?: number;
  };
  /** Git-native history: how long rejected attempts are kept, how known-good tags are checked. */
  history: {
    /**
     * Keep the attempt notes of the newest N base commits (0 = keep all). Older notes are dropped by
     * rewriting `refs/notes/evolve-attempts` as one parentless commit, so `git gc` can remove them.
     */
    attemptsRetention: number;
    /** Keep at most this many attempts per base commit, the newest (0 = no limit). */
    attemptsPerBase: number;
    /** Suite runs `evolve tag` makes (cache bypassed) before it tags a commit known-good. */
    tagRepeats: number;
  };
}

/** Paths no configuration can make evolvable: the judge, the config itself, git and evolve's own state. */
export const ALWAYS_PROTECTED: readonly string[] = Object.freeze(["golden-tests/**", "evolve.config.yaml", ".git/**", ".evolve/**"]);

/** Every default. Frozen: copy before changing. */
export const DEFAULT_CONFIG: EvolveConfig = deepFreeze({
  version: 1,
  agent: { name: "agent" },
  evolvable: ["agent/tools/**/*.ts", "agent/prompts/**", "agent/params.json"],
  protected: [],
  evolution: { generations: 10, candidatesPerGeneration: 32, budget: 400, seed: 1, operators: ["all"] },
  improvement: { threshold: 0.0001 },
  reflection: { interval: 5, everyMs: null },
  safety: { maxChangesPerCycle: 2, requireTestSuite: true, rollbackOnRegression: true, recheckRepeats: 2, approvalAboveLines: 40 },
  monitoring: {
    metrics: ["score", "holdout", "passed", "evalMs", "response_time", "user_satisfaction", "task_success_rate", "error_rate"],
    alerts: {
      scoreDrop: 0.05,
      holdoutDrop: 0.05,
      evalMsRise: 2,
      responseTimeMs: DEFAULT_LIVE_THRESHOLDS.responseTimeMs,
      errorRate: DEFAULT_LIVE_THRESHOLDS.errorRate,
      userSatisfaction: DEFAULT_LIVE_THRESHOLDS.userSatisfaction,
    },
    minSamples: DEFAULT_LIVE_THRESHOLDS.minSamples,
  },
  interactions: { record: true, maxSizeMb: 1024 },
  evaluation: {},
  serve: { host: "127.0.0.1", port: 8080, maxRequestBytes: 1048576, maxConcurrent: 4, reloadMs: 1000 },
  watch: { debounceMs: 1000, badFeedback: 5 },
  sandbox: { timeoutMs: 1000, maxCaseTimeoutMs: 30000, memoryMb: 128, workers: 2, allowImports: [], tools: ["agent/tools/*.ts"] },
  model: { provider: "none" },
  history: { attemptsRetention: 50, attemptsPerBase: 1000, tagRepeats: 3 },
});

const int = (minimum: number) => ({ type: "integer", minimum });
const num = (minimum: number) => ({ type: "number", minimum });
const section = (properties: Record<string, unknown>) => ({ type: "object", additionalProperties: false, properties });
const GLOBS = {
  type: "array",
  items: { type: "string", minLength: 1, pattern: "^(?!/)(?!\\./)", description: "globs are relative to the workspace root (no leading / or ./)" },
};
const STRINGS = { type: "array", items: { type: "string", minLength: 1 } };

const CONFIG_SCHEMA = section({
  version: { const: 1 },
  agent: section({ name: { type: "string", minLength: 1 }, description: { type: "string" } }),
  evolvable: GLOBS,
  protected: GLOBS,
  evolution: section({ generations: int(1), candidatesPerGeneration: int(1), budget: int(1), seed: { type: "integer" }, operators: { type: "array", items: { enum: ["all", ...OPERATOR_NAMES] }, minItems: 1, uniqueItems: true } }),
  improvement: section({ threshold: num(0) }),
  // A count of generations, or a duration (checked by withSchedule, which names what a duration looks like).
  reflection: section({ interval: { type: ["integer", "string"], minimum: 0 } }),
  safety: section({
    maxChangesPerCycle: int(1),
    requireTestSuite: { type: "boolean" },
    rollbackOnRegression: { type: "boolean" },
    recheckRepeats: int(0),
    approvalAboveLines: int(0),
  }),
  monitoring: section({
    metrics: { type: "array", items: { enum: [...KNOWN_METRICS] }, uniqueItems: true },
    alerts: section({
      scoreDrop: num(0),
      holdoutDrop: num(0),
      evalMsRise: num(1),
      responseTimeMs: num(0),
      errorRate: { type: "number", minimum: 0, maximum: 1 },
      userSatisfaction: { type: "number", minimum: 1, maximum: 5 },
    }),
  evaluation: section({ redis: { type: "string", pattern: "^rediss?://", description: "a redis:// or rediss:// URL" } }),
    minSamples: int(1),
  }),
  interactions: section({ record: { type: "boolean" }, maxSizeMb: { type: "number", exclusiveMinimum: 0 } }),
  serve: section({ host: { type: "string", minLength: 1 }, port: { type: "integer", minimum: 0, maximum: 65535 }, maxRequestBytes: int(1024), maxConcurrent: int(1), reloadMs: int(50) }),
  watch: section({ debounceMs: int(0), badFeedback: int(0) }),
  sandbox: section({ timeoutMs: int(1), maxCaseTimeoutMs: int(1), memoryMb: int(16), workers: int(1), allowImports: STRINGS, tools: { ...GLOBS, minItems: 1 } }),
  model: section({
    provider: { enum: [...MODEL_PROVIDERS] },
    name: { type: "string", minLength: 1 },
    baseUrl: { type: "string", minLength: 1 },
    allowRemote: { type: "boolean" },
    threads: int(1),
    contextSize: int(64),
    concurrency: int(1),
    timeoutMs: int(1),
    retries: int(0),
  }),
  history: section({ attemptsRetention: int(0), attemptsPerBase: int(0), tagRepeats: int(1) }),
});

const validate = new Ajv({ allErrors: false, verbose: true, strictTypes: false }).compile(CONFIG_SCHEMA);

/**
 * Parses evolve.config.yaml. Missing keys take their defaults (nested sections are merged key by
 * key; lists replace the default list). An empty file is the default config. Unknown keys, wrong
 * types and out-of-range values throw a WorkspaceInputError naming file, line, column and field.
 */
export function parseConfig(text: string, file = "evolve.config.yaml"): EvolveConfig {
  const src = parseYaml(text, file);
  const data = src.data ?? {};
  if (!validate(data)) {
    const err = validate.errors?.[0];
    throw err ? ajvError(src, err) : inputError(src, [], "invalid config");
  }
  const user = data as Record<string, unknown>;
  checkGlobs(src, ["evolvable"], user.evolvable);
  checkGlobs(src, ["protected"], user.protected);
  checkGlobs(src, ["sandbox", "tools"], (user.sandbox as { tools?: unknown } | undefined)?.tools);
  const model = user.model as { baseUrl?: string } | undefined;
  if (model?.baseUrl !== undefined && !URL.canParse(model.baseUrl)) {
    throw inputError(src, ["model", "baseUrl"], `"${model.baseUrl}" is not a URL`);
  }
  checkRedis(src, (user.evaluation as { redis?: string } | undefined)?.redis);
  const config = merge(structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>, user) as unknown as EvolveConfig;
  return withSchedule(src, config);
}

/** A committed config is no place for a password: refuse one, naming where it should go instead. */
function checkRedis(src: YamlSource, redis: string | undefined): void {
  if (redis === undefined) return;
  if (!URL.canParse(redis)) throw inputError(src, ["evaluation", "redis"], "not a URL; expected redis://host:port");
  if (new URL(redis).password !== "") {
    throw inputError(src, ["evaluation", "redis"], "holds a password; remove it and set $EVOLVE_REDIS_PASSWORD on the coordinator and the workers");
  }
}

/** `reflection.interval` written as a duration is a wall-clock schedule; the generation count keeps its default. */
function withSchedule(src: YamlSource, config: EvolveConfig): EvolveConfig {
  const interval = config.reflection.interval as number | string;
  if (typeof interval !== "string") return config;
  const ms = parseDuration(interval);
  if (ms === null) throw inputError(src, ["reflection", "interval"], `"${interval}" is neither a number of generations nor a duration (30m, 1h, 1d)`);
  config.reflection = { interval: DEFAULT_CONFIG.reflection.interval, everyMs: ms };
  return config;
}

function checkGlobs(src: YamlSource, path: FieldPath, globs: unknown): void {
  if (!Array.isArray(globs)) return;
  globs.forEach((g: string, i) => {
    try {
      picomatch.makeRe(g);
    } catch (err) {
      throw inputError(src, [...path, i], `invalid glob: ${(err as Error).message}`);
    }
  });
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    base[k] = isPlainObject(b) && isPlainObject(v) ? merge(b, v) : structuredClone(v);
  }
  return base;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

type Matcher = (path: string) => boolean;
const matchers = new Map<string, Matcher>();

function matcherFor(globs: readonly string[]): Matcher {
  const key = JSON.stringify(globs);
  let m = matchers.get(key);
  if (!m) {
    // dot: a protected folder covers its dotfiles too; nothing may slip past by starting with "."
    m = globs.length ? picomatch([...globs], { dot: true }) : () => false;
    matchers.set(key, m);
  }
  return m;
}

/** Normalised workspace-relative path, or null when it escapes the workspace (then it is protected). */
function normalise(path: string): string | null {
  const p = posix.normalize(path.replace(/\\/g, "/")).replace(/^(\.\/)+/, "");
  if (p.startsWith("/") || p === ".." || p.startsWith("../") || p === ".") return null;
  return p;
}

/** True when `path` matches ALWAYS_PROTECTED or the config's `protected` globs (or leaves the workspace). */
export function isProtected(config: EvolveConfig, path: string): boolean {
  const p = normalise(path);
  if (p === null) return true;
  return matcherFor(ALWAYS_PROTECTED)(p) || matcherFor(config.protected)(p);
}

/** True when `path` matches an `evolvable` glob and is not protected. */
export function isEvolvable(config: EvolveConfig, path: string): boolean {
  const p = normalise(path);
  if (p === null || isProtected(config, p)) return false;
  return matcherFor(config.evolvable)(p);
}

/**
 * A complete evolve.config.yaml with every key at its default and a one-line comment each. Parsing
 * it gives DEFAULT_CONFIG with `agent.name` set.
 */
export function renderDefaultConfig(agentName: string): string {
  const d = DEFAULT_CONFIG;
  // JSON scalars are valid YAML flow scalars, so JSON.stringify quotes safely.
  const v = (x: unknown): string => (Array.isArray(x) ? `[${x.map((y) => JSON.stringify(y)).join(", ")}]` : JSON.stringify(x));
  const otherMetrics = KNOWN_METRICS.filter((m) => !d.monitoring.metrics.includes(m)).join(", ");
  // [line, comment]: comments are aligned into one column so the file reads as a table.
  const rows: [string, string?][] = [
    ["# evolve.config.yaml: how evolve may change this agent. Every key is optional and shown at its default."],
    ["version: 1", "format of this file"],
    [""],
    ["agent:"],
    [`  name: ${v(agentName)}`, "shown in logs and commit messages"],
    ['  # description: "what the agent does"'],
    [""],
    [`# Always protected, whatever the lists below say: ${ALWAYS_PROTECTED.join(", ")}`],
    [`evolvable: ${v(d.evolvable)}`, "files evolution may edit (globs)"],
    [`protected: ${v(d.protected)}`, "extra globs evolution must never edit"],
    [""],
    ["evolution:"],
    [`  generations: ${d.evolution.generations}`, "generations per `evolve run`"],
    [`  candidatesPerGeneration: ${d.evolution.candidatesPerGeneration}`, "candidates evaluated per generation"],
    [`  budget: ${d.evolution.budget}`, "candidates evaluated per run, all generations together"],
    [`  seed: ${d.evolution.seed}`, "RNG seed: same seed and tree, same run"],
    [`  operators: ${v(d.evolution.operators)}`, 'mutation operators to use ("all" for every one)'],
    [""],
    ["improvement:"],
    [`  threshold: ${d.improvement.threshold}`, "minimum train-score gain to accept a candidate"],
    [""],
    ["reflection:"],
    [`  interval: ${d.reflection.interval}`, "reflect every N generations (0 = never); a duration (1h) schedules watch cycles"],
    [""],
    ["safety:"],
    [`  maxChangesPerCycle: ${d.safety.maxChangesPerCycle}`, "edits in one candidate"],
    [`  requireTestSuite: ${d.safety.requireTestSuite}`, "refuse to run without golden cases"],
    [`  rollbackOnRegression: ${d.safety.rollbackOnRegression}`, "revert a generation that a recheck shows worse"],
    [`  recheckRepeats: ${d.safety.recheckRepeats}`, "re-evaluations of an accepted candidate (flakiness guard)"],
    [`  approvalAboveLines: ${d.safety.approvalAboveLines}`, "diffs changing more lines wait for human approval"],
    [""],
    ["monitoring:"],
    [`  metrics: ${v(d.monitoring.metrics)}`, `tracked per generation (also available: ${otherMetrics})`],
    ["  alerts:"],
    [`    scoreDrop: ${d.monitoring.alerts.scoreDrop}`, "alert when the train score falls this far below its best"],
    [`    holdoutDrop: ${d.monitoring.alerts.holdoutDrop}`, "alert when the holdout score falls this far below its best"],
    [`    evalMsRise: ${d.monitoring.alerts.evalMsRise}`, "alert when evaluation takes this many times the first generation's time"],
    [`    responseTimeMs: ${d.monitoring.alerts.responseTimeMs}`, "live: alert when the p95 response time exceeds this"],
    [`    errorRate: ${d.monitoring.alerts.errorRate}`, "live: alert when more than this share of requests get no answer"],
    [`    userSatisfaction: ${d.monitoring.alerts.userSatisfaction}`, "live: alert when the mean rating (1-5) falls below this"],
    [`  minSamples: ${d.monitoring.minSamples}`, "live: interactions each generation needs before alerts and regression tests"],
    [""],
    ["interactions:"],
    [`  record: ${d.interactions.record}`, "evolve ask/chat record each request in .git/evolve/interactions.sqlite"],
    [`  maxSizeMb: ${d.interactions.maxSizeMb}`, "size cap of that file; past it recording fails until old ones are purged"],
    [""],
    ["serve:"],
    [`  host: ${v(d.serve.host)}`, "evolve serve binds here; anything but loopback needs a token"],
    [`  port: ${d.serve.port}`, "evolve serve port"],
    [`  maxRequestBytes: ${d.serve.maxRequestBytes}`, "larger request bodies are refused (413)"],
    [`  maxConcurrent: ${d.serve.maxConcurrent}`, "requests served at once; more get 429"],
    [`  reloadMs: ${d.serve.reloadMs}`, "how often the server looks for a new generation to serve"],
    [""],
    ["watch:"],
    [`  debounceMs: ${d.watch.debounceMs}`, "quiet time after a file change before re-measuring"],
    [`  badFeedback: ${d.watch.badFeedback}`, "new bad interactions that start a cycle (0 = never)"],
    [""],
    ["# evaluation:"],
    ['#   redis: "redis://10.0.0.5:6379"', "evaluate candidates on `evolve worker` processes (password: $EVOLVE_REDIS_PASSWORD)"],
    [""],
    ["sandbox:"],
    [`  timeoutMs: ${d.sandbox.timeoutMs}`, "time limit per golden case"],
    [`  maxCaseTimeoutMs: ${d.sandbox.maxCaseTimeoutMs}`, "the most a case's own timeoutMs may ask for"],
    [`  memoryMb: ${d.sandbox.memoryMb}`, "heap limit per sandbox worker"],
    [`  workers: ${d.sandbox.workers}`, "sandbox worker processes"],
    [`  allowImports: ${v(d.sandbox.allowImports)}`, "packages tools may import (none: tools are self-contained)"],
    [`  tools: ${v(d.sandbox.tools)}`, "modules whose exported functions are the agent's tools"],
    [""],
    ["model:"],
    [`  provider: ${d.model.provider}`, MODEL_PROVIDERS.join(" | ")],
    ['  # name: "model name, or path of a .gguf file"'],
    ['  # baseUrl: "http://127.0.0.1:11434"'],
    [""],
    ["history:"],
    [`  attemptsRetention: ${d.history.attemptsRetention}`, "keep rejected-attempt notes of the newest N base commits (0 = all)"],
    [`  attemptsPerBase: ${d.history.attemptsPerBase}`, "at most this many attempts per base commit, newest kept (0 = no limit)"],
    [`  tagRepeats: ${d.history.tagRepeats}`, "suite runs `evolve tag` makes; any difference between them refuses the tag"],
  ];
  const width = 32; // longer lines (the glob lists) just get two spaces before their comment
  return `${rows.map(([text, comment]) => (comment === undefined ? text : `${text.padEnd(width - 2)}  # ${comment}`)).join("\n")}\n`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
