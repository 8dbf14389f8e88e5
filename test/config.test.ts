import { describe, expect, test } from "vitest";
import { ALWAYS_PROTECTED, DEFAULT_CONFIG, isEvolvable, isProtected, parseConfig, renderDefaultConfig } from "../workspace/config.js";
import type { EvolveConfig } from "../workspace/config.js";
import { WorkspaceInputError } from "../kernel/input-error.js";

const lines = (...ls: string[]): string => `${ls.join("\n")}\n`;

function configError(text: string, file?: string): WorkspaceInputError {
  try {
    parseConfig(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkspaceInputError);
    return err as WorkspaceInputError;
  }
  throw new Error("expected parseConfig to throw");
}

describe("parseConfig", () => {
  test("an empty file is the default config", () => {
    expect(parseConfig("")).toEqual(DEFAULT_CONFIG);
    expect(parseConfig("# just a comment\n")).toEqual(DEFAULT_CONFIG);
  });

  test("the documented defaults", () => {
    const c = parseConfig("agent: { name: slugger }\n");
    expect(c).toEqual({
      version: 1,
      agent: { name: "slugger" },
      evolvable: ["agent/tools/**/*.ts", "agent/prompts/**", "agent/params.json"],
      protected: [],
      evolution: { generations: 10, candidatesPerGeneration: 32, budget: 400, seed: 1, operators: ["all"] },
      improvement: { threshold: 0.0001 },
      reflection: { interval: 5 },
      safety: { maxChangesPerCycle: 2, requireTestSuite: true, rollbackOnRegression: true, recheckRepeats: 2, approvalAboveLines: 40 },
      monitoring: {
        metrics: ["score", "holdout", "passed", "evalMs", "response_time", "user_satisfaction", "task_success_rate", "error_rate"],
        alerts: { scoreDrop: 0.05, holdoutDrop: 0.05, evalMsRise: 2, responseTimeMs: 5000, errorRate: 0.05, userSatisfaction: 3.0 },
        minSamples: 30,
      },
      interactions: { record: true, maxSizeMb: 1024 },
      serve: { host: "127.0.0.1", port: 8080, maxRequestBytes: 1048576, maxConcurrent: 4, reloadMs: 1000 },
      watch: { debounceMs: 1000, badFeedback: 5 },
      evaluation: {},
      sandbox: { timeoutMs: 1000, maxCaseTimeoutMs: 30000, memoryMb: 128, workers: 2, allowImports: [], tools: ["agent/tools/*.ts"] },
      model: { provider: "none" },
      history: { attemptsRetention: 50, attemptsPerBase: 1000, tagRepeats: 3 },
    } satisfies EvolveConfig);
  });

  test("nested sections merge key by key; lists replace; defaults stay untouched", () => {
    const c = parseConfig(
      lines(
        "version: 1",
        "agent:",
        "  name: a",
        "  description: does things",
        "evolvable: [tools/*.ts]",
        "evolution:",
        "  seed: 42",
        "safety:",
        "  requireTestSuite: false",
        "monitoring:",
        "  alerts: { evalMsRise: 3 }",
        "model: { provider: ollama, name: qwen, baseUrl: 'http://localhost:11434' }",
      ),
    );
    expect(c.agent).toEqual({ name: "a", description: "does things" });
    expect(c.evolvable).toEqual(["tools/*.ts"]);
    expect(c.evolution).toEqual({ ...DEFAULT_CONFIG.evolution, seed: 42 });
    expect(c.safety.requireTestSuite).toBe(false);
    expect(c.safety.maxChangesPerCycle).toBe(2);
    expect(c.monitoring.alerts).toEqual({ ...DEFAULT_CONFIG.monitoring.alerts, evalMsRise: 3 });
    expect(c.model).toEqual({ provider: "ollama", name: "qwen", baseUrl: "http://localhost:11434" });
    c.evolvable.push("x");
    expect(DEFAULT_CONFIG.evolvable).toHaveLength(3);
    expect(Object.isFrozen(DEFAULT_CONFIG.sandbox)).toBe(true);
  });

  test("unknown keys, with line, column and the allowed keys", () => {
    const e = configError(lines("agent:", "  name: a", "evolution:", "  generations: 3", "  candidates: 4"));
    expect(e.message).toBe(
      'evolve.config.yaml:5:3: evolution.candidates: unknown key "candidates" (allowed: generations, candidatesPerGeneration, budget, seed, operators)',
    );
    expect([e.file, e.line, e.column, e.field]).toEqual(["evolve.config.yaml", 5, 3, "evolution.candidates"]);
    expect(configError("sandbx: {}\n", "ws/evolve.config.yaml").message).toMatch(/^ws\/evolve\.config\.yaml:1:1: sandbx: unknown key "sandbx"/);
  });

  test("wrong types and out-of-range values, with line", () => {
    expect(configError(lines("sandbox:", "  workers: 2", "  timeoutMs: fast")).message).toBe(
      'evolve.config.yaml:3:14: sandbox.timeoutMs: must be an integer, got string "fast"',
    );
    expect(configError(lines("safety:", "  maxChangesPerCycle: 0")).message).toBe("evolve.config.yaml:2:23: safety.maxChangesPerCycle: must be >= 1; got 0");
    expect(configError(lines("safety:", "  requireTestSuite: yes")).message).toBe('evolve.config.yaml:2:21: safety.requireTestSuite: must be true or false, got string "yes"');
    expect(configError("version: 2\n").message).toBe("evolve.config.yaml:1:10: version: must be 1; got number 2");
    expect(configError(lines("model:", "  provider: gpt")).message).toBe(
      'evolve.config.yaml:2:13: model.provider: must be one of "none", "node-llama-cpp", "ollama", "openai"; got string "gpt"',
    );
    expect(configError(lines("monitoring:", "  metrics: [score, latency]")).message).toMatch(/^evolve\.config\.yaml:2:20: monitoring\.metrics\[1\]: must be one of "score", "holdout".*"response_time", "user_satisfaction", "task_success_rate", "error_rate", "tokens_per_second"/);
    expect(parseConfig(lines("monitoring:", "  metrics: [response_time, error_rate]")).monitoring.metrics).toEqual(["response_time", "error_rate"]);
    expect(configError(lines("monitoring:", "  alerts: { errorRate: 5 }")).message).toMatch(/^evolve\.config\.yaml:2:24: monitoring\.alerts\.errorRate: must be <= 1/);
    expect(configError(lines("interactions:", "  record: maybe")).message).toMatch(/^evolve\.config\.yaml:2:11: interactions\.record: must be true or false/);
    expect(configError(lines("protected:", "  - ok/**", "  - /etc/**")).message).toMatch(/^evolve\.config\.yaml:3:5: protected\[1\]: string "\/etc\/\*\*" is not allowed: globs are relative/);
    expect(configError(lines("model:", "  baseUrl: not a url")).message).toBe('evolve.config.yaml:2:12: model.baseUrl: "not a url" is not a URL');
    expect(configError("- a\n").message).toBe("evolve.config.yaml:1:1: must be a mapping, got a list");
    expect(configError(lines("agent:", "  name: a", "  name: b")).message).toMatch(/^evolve\.config\.yaml:3:3: invalid YAML: Map keys must be unique/);
  });
});

describe("isEvolvable / isProtected", () => {
  test("defaults", () => {
    const c = DEFAULT_CONFIG;
    expect(isEvolvable(c, "agent/tools/slugify.ts")).toBe(true);
    expect(isEvolvable(c, "agent/tools/text/deep.ts")).toBe(true);
    expect(isEvolvable(c, "./agent/params.json")).toBe(true);
    expect(isEvolvable(c, "agent/prompts/system.md")).toBe(true);
    expect(isEvolvable(c, "agent/tools/readme.md")).toBe(false);
    expect(isEvolvable(c, "agent/config.ts")).toBe(false);
    for (const p of ["golden-tests/a.yaml", "golden-tests/assertions/x.js", "evolve.config.yaml", ".git/HEAD", ".evolve/cache.json", "golden-tests"]) {
      expect(isProtected(c, p)).toBe(true);
      expect(isEvolvable(c, p)).toBe(false);
    }
    expect(isProtected(c, "agent/tools/slugify.ts")).toBe(false);
    expect(ALWAYS_PROTECTED).toEqual(["golden-tests/**", "evolve.config.yaml", ".git/**", ".evolve/**"]);
  });

  test("a config that lists golden-tests or the config as evolvable still protects them", () => {
    const c = parseConfig(lines("evolvable: ['**', 'golden-tests/**', 'evolve.config.yaml']", "protected: ['agent/tools/frozen.ts']"));
    expect(isEvolvable(c, "golden-tests/slug.yaml")).toBe(false);
    expect(isEvolvable(c, "golden-tests/.hidden.js")).toBe(false);
    expect(isProtected(c, "golden-tests/.hidden.js")).toBe(true);
    expect(isEvolvable(c, "evolve.config.yaml")).toBe(false);
    expect(isEvolvable(c, ".evolve/state")).toBe(false);
    expect(isEvolvable(c, "agent/tools/frozen.ts")).toBe(false);
    expect(isProtected(c, "agent/tools/frozen.ts")).toBe(true);
    expect(isEvolvable(c, "agent/tools/other.ts")).toBe(true);
  });

  test("paths that escape the workspace are protected", () => {
    const c = parseConfig("evolvable: ['**']\n");
    expect(isEvolvable(c, "agent/../golden-tests/a.yaml")).toBe(false);
    expect(isProtected(c, "../outside.ts")).toBe(true);
    expect(isProtected(c, "/etc/passwd")).toBe(true);
    expect(isEvolvable(c, "agent/./tools/x.ts")).toBe(true);
  });
});

describe("history section", () => {
  test("merges key by key and refuses out-of-range values with line and field", () => {
    expect(parseConfig("history: { attemptsRetention: 0 }\n").history).toEqual({ attemptsRetention: 0, attemptsPerBase: 1000, tagRepeats: 3 });
    const e = configError(lines("history:", "  tagRepeats: 0"));
    expect([e.line, e.field]).toEqual([2, "history.tagRepeats"]);
    expect(configError(lines("history:", "  attemptsRetention: -1")).message).toMatch(/^evolve\.config\.yaml:2:\d+: history\.attemptsRetention: /);
    expect(configError(lines("history:", "  keep: 3")).message).toMatch(/history\.keep: unknown key "keep" \(allowed: attemptsRetention, attemptsPerBase, tagRepeats\)/);
  });
});

describe("renderDefaultConfig", () => {
  test("parses back to the defaults with the given name, and comments every key", () => {
    const text = renderDefaultConfig('my "quoted" agent');
    expect(parseConfig(text)).toEqual({ ...DEFAULT_CONFIG, agent: { name: 'my "quoted" agent' } });
    const keyLines = text.split("\n").filter((l) => /^\s*[A-Za-z]+:\s*\S/.test(l) && !/^\s*#/.test(l));
    const uncommented = keyLines.filter((l) => !l.includes("#"));
    expect(uncommented).toEqual([]);
    for (const key of ["generations", "candidatesPerGeneration", "budget", "threshold", "interval", "maxChangesPerCycle", "recheckRepeats", "approvalAboveLines", "evalMsRise", "allowImports", "provider", "attemptsRetention", "attemptsPerBase", "tagRepeats"]) {
      expect(text).toMatch(new RegExp(`^\\s+${key}: .+# `, "m"));
    }
  });
});

describe("evolution.operators", () => {
  test("accepts known operator names and all; refuses a misspelt one with its line and position", () => {
    expect(parseConfig("evolution:\n  operators: [boundary, logical]\n").evolution.operators).toEqual(["boundary", "logical"]);
    expect(() => parseConfig("evolution:\n  operators: [boundary, swapp]\n")).toThrow(/^evolve\.config\.yaml:2:25: evolution\.operators\[1\]: must be one of "all", "arithmetic".*got string "swapp"$/);
  });
});
