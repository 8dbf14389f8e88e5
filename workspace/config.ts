/**
 * The workspace's evolve.config.yaml: its type, parsing and validation, and the protected/evolvable
 * path rules. The keys themselves (bounds, defaults, help) are the table in config-keys.ts; the
 * schema, the defaults and the commented default file are made from it here.
 */
import path, { posix } from "node:path";
import { createRequire } from "node:module";
import picomatch from "picomatch";
import type { ValidateFunction } from "ajv";
import { packageRoot } from "../kernel/package-root.js";
import { ajvError, inputError, parseYaml } from "../kernel/yaml-errors.js";
import type { FieldPath, YamlSource } from "../kernel/yaml-errors.js";
import { parseDuration } from "../interactions/time.js";
import { redact } from "../kernel/redact.js";
import { ALWAYS_PROTECTED, CONFIG_KEYS, MODEL_PROVIDERS } from "./config-keys.js";
import type { ConfigKey, KeyType } from "./config-keys.js";

export { ALWAYS_PROTECTED, CONFIG_KEYS, KNOWN_METRICS, MODEL_PROVIDERS } from "./config-keys.js";

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
    /** Reflect on the attempt history every N generations (0 = never; also 0 when a duration is given). */
    interval: number;
    /** Set when the file gives a duration (`1h`): long-running commands reflect this often, in ms. */
    intervalMs?: number;
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
  /** The interaction store (.git/evolve/interactions.sqlite). */
  interactions: {
    /** `evolve ask` and `evolve chat` record every request (off: as if --no-record were always given). */
    record: boolean;
    /** Size cap of the store file in MB: past it, recording fails like a full disk until old interactions are purged. */
    maxSizeMb: number;
  };
  sandbox: {
    /** Per-case time limit. */
    timeoutMs: number;
    /** Heap limit of a sandbox worker. */
    memoryMb: number;
    workers: number;
    /** Packages tools may import (none by default: tools are self-contained). */
    allowImports: string[];
    /** The most a golden case's own `timeoutMs` may ask for. */
    maxCaseTimeoutMs: number;
    /** Globs of the modules whose exported functions are the agent's tools (evolvable or not: adapters are tools too). */
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

/** Every default, made from the table. Frozen: copy before changing. */
export const DEFAULT_CONFIG: EvolveConfig = deepFreeze(defaultsOf(CONFIG_KEYS) as unknown as EvolveConfig);

function defaultsOf(keys: readonly ConfigKey[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (k.default === undefined) continue;
    const path = k.key.split(".");
    let node = out;
    for (const seg of path.slice(0, -1)) node = (node[seg] ??= {}) as Record<string, unknown>;
    node[path.at(-1)!] = structuredClone(k.default);
  }
  // A section whose keys are all optional (model, evaluation) still exists, empty.
  for (const k of keys) {
    const dot = k.key.indexOf(".");
    if (dot > 0) out[k.key.slice(0, dot)] ??= {};
  }
  return out;
}

const GLOB_ITEM = { type: "string", minLength: 1, pattern: "^(?!/)(?!\\./)", description: "globs are relative to the workspace root (no leading / or ./)" };

/** The JSON schema of one key's value. */
function schemaOf(t: KeyType): Record<string, unknown> {
  switch (t.kind) {
    case "version":
      return { const: 1 };
    case "integer":
    case "number":
      return { type: t.kind, ...(t.min === undefined ? {} : { minimum: t.min }), ...(t.kind === "number" && t.max !== undefined ? { maximum: t.max } : {}), ...(t.kind === "integer" && t.max !== undefined ? { maximum: t.max } : {}), ...(t.kind === "number" && t.above !== undefined ? { exclusiveMinimum: t.above } : {}) };
    case "boolean":
      return { type: "boolean" };
    case "string":
      return { type: "string", ...(t.minLength === undefined ? {} : { minLength: t.minLength }) };
    case "url":
      return { type: "string", minLength: 1 };
    case "enum":
      return { enum: [...t.values] };
    case "generations-or-duration":
      return { type: ["integer", "string"], minimum: 0, description: "a whole number of generations, or a duration such as 30m, 1h, 7d" };
    case "list": {
      const items = t.of === "glob" ? GLOB_ITEM : t.of === "string" ? { type: "string", minLength: 1 } : { enum: [...t.of] };
      return { type: "array", items, uniqueItems: t.of !== "string", ...(t.minItems === undefined ? {} : { minItems: t.minItems }) };
    }
  }
}

/** The schema of the whole file: one closed object per section, from the table. */
export function configSchema(keys: readonly ConfigKey[] = CONFIG_KEYS): Record<string, unknown> {
  const root: Record<string, unknown> = { type: "object", additionalProperties: false, properties: {} };
  for (const k of keys) {
    let node = root;
    const path = k.key.split(".");
    for (const seg of path.slice(0, -1)) {
      const props = node.properties as Record<string, Record<string, unknown>>;
      node = props[seg] ??= { type: "object", additionalProperties: false, properties: {} };
    }
    (node.properties as Record<string, unknown>)[path.at(-1)!] = schemaOf(k.type);
  }
  return root;
}

/** Ajv's options for the config schema: the precompiled validator is made with these (test/config-validator.test.ts). */
export const AJV_OPTIONS = { allErrors: false, verbose: true, strictTypes: false } as const;

/** The precompiled validator, a file of the package (not of dist/): ajv's standalone code for configSchema(). */
export const VALIDATOR_FILE = "workspace/config-validator.cjs";

let validator: ValidateFunction | undefined;

/**
 * The validator, loaded the first time a config is read. It is ajv's standalone code for the schema,
 * generated ahead of time and kept in step by a test: compiling the schema at start-up cost every
 * command that reads a config about 150 ms; loading the generated code costs a few.
 */
function validate(data: unknown): NonNullable<ValidateFunction["errors"]> | null {
  validator ??= createRequire(import.meta.url)(path.join(packageRoot(), VALIDATOR_FILE)) as ValidateFunction;
  return validator(data) ? null : (validator.errors ?? []);
}

/**
 * Parses evolve.config.yaml. Missing keys take their defaults (nested sections are merged key by
 * key; lists replace the default list). An empty file is the default config. Unknown keys, wrong
 * types and out-of-range values throw a WorkspaceInputError naming file, line, column and field.
 */
export function parseConfig(text: string, file = "evolve.config.yaml"): EvolveConfig {
  const src = parseYaml(text, file);
  const data = src.data ?? {};
  const errors = validate(data);
  if (errors !== null) {
    const err = errors[0];
    throw err ? ajvError(src, err) : inputError(src, [], "invalid config");
  }
  const user = data as Record<string, unknown>;
  checkGlobs(src, ["evolvable"], user.evolvable);
  checkGlobs(src, ["protected"], user.protected);
  checkGlobs(src, ["sandbox", "tools"], (user.sandbox as { tools?: unknown } | undefined)?.tools);
  checkRedis(src, (user.evaluation as { redis?: string } | undefined)?.redis);
  const model = user.model as { baseUrl?: string } | undefined;
  if (model?.baseUrl !== undefined && !URL.canParse(model.baseUrl)) {
    throw inputError(src, ["model", "baseUrl"], `"${redact(model.baseUrl)}" is not a URL`);
  }
  const config = merge(structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>, user) as unknown as EvolveConfig;
  const interval = (user.reflection as { interval?: unknown } | undefined)?.interval;
  if (typeof interval === "string") {
    const ms = parseDuration(interval);
    if (ms === null) throw inputError(src, ["reflection", "interval"], `"${interval}" is not a duration above 0 (30m, 1h, 7d) nor a number of generations`);
    config.reflection = { interval: 0, intervalMs: ms };
  }
  return config;
}

/** A committed config is no place for a password: refuse one, naming where it should go instead. */
function checkRedis(src: YamlSource, redis: string | undefined): void {
  if (redis === undefined) return;
  if (!/^rediss?:\/\//.test(redis) || !URL.canParse(redis)) throw inputError(src, ["evaluation", "redis"], `"${redact(redis)}" is not a redis:// or rediss:// URL`);
  if (new URL(redis).password !== "") {
    throw inputError(src, ["evaluation", "redis"], "holds a password; remove it and set $EVOLVE_REDIS_PASSWORD on the coordinator and the workers");
  }
}

/**
 * Why a glob is refused, or null: it must stay inside the workspace (no leading `/` or `./`, no
 * `..` segment) and its brackets and braces must close, since picomatch quietly reads an unclosed
 * `[` as a literal character and the glob then matches nothing the user meant.
 */
export function globProblem(glob: string): string | null {
  if (glob.startsWith("/") || glob.startsWith("./")) return "globs are relative to the workspace root (no leading / or ./)";
  if (glob.split("/").includes("..")) return "a glob may not leave the workspace (.. segment)";
  let square = 0;
  let curly = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "\\") i++;
    else if (ch === "[") square++;
    else if (ch === "]" && square > 0) square--;
    else if (ch === "{" && square === 0) curly++;
    else if (ch === "}" && square === 0 && curly > 0) curly--;
  }
  if (square > 0) return "invalid glob: a [ is not closed";
  if (curly > 0) return "invalid glob: a { is not closed";
  try {
    picomatch.makeRe(glob);
  } catch (err) {
    return `invalid glob: ${(err as Error).message}`;
  }
  return null;
}

function checkGlobs(src: YamlSource, path: FieldPath, globs: unknown): void {
  if (!Array.isArray(globs)) return;
  globs.forEach((g: string, i) => {
    const problem = globProblem(g);
    if (problem !== null) throw inputError(src, [...path, i], `${JSON.stringify(g)}: ${problem}`);
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

export { renderDefaultConfig } from "./config-doc.js";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
