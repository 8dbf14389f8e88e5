/** The files `evolve init` writes: the sample tool and case, and the config of an adopted project. */
import { parseConfig, renderDefaultConfig } from "./config.js";
import { EvolveError } from "../kernel/errors.js";
import type { ToolModule } from "./detect-tools.js";

export const SAMPLE_TOOL_PATH = "agent/tools/greet.ts";
export const SAMPLE_TOOL = `/** A greeting for \`name\`. Add your agent's tools as exported functions in agent/tools/*.ts. */\nexport function greet(name: string): string {\n  return \`Hello, \${name}!\`;\n}\n`;
export const SAMPLE_CASES_PATH = "golden-tests/greet.yaml";
export const SAMPLE_CASES = `# Golden cases: each calls a tool with arguments and checks the output.\ncases:\n  - id: greet-world\n    tool: greet\n    input: World\n    mustPass: true\n    assert:\n      - type: equals\n        value: Hello, World!\n`;
export const EMPTY_CASES_PATH = "golden-tests/cases.yaml";
export const EMPTY_CASES = `# Golden cases: each calls a tool with arguments and checks the output.\n# Pin what a tool does now with \`evolve cases record TOOL ARGS...\`; see docs/writing-golden-cases.md.\ncases: []\n`;

/** The sample tool and its case, or (bare) an empty case file so golden-tests/ exists. */
export function sampleFiles(bare = false): Map<string, string> {
  if (bare) return new Map([[EMPTY_CASES_PATH, EMPTY_CASES]]);
  return new Map([
    [SAMPLE_TOOL_PATH, SAMPLE_TOOL],
    [SAMPLE_CASES_PATH, SAMPLE_CASES],
  ]);
}

/**
 * The default config with `evolvable` and `sandbox.tools` set to the tool modules found, one per
 * line with the functions it exports, so the user can read (and trim) what evolve may change.
 */
export function adoptConfigText(agentName: string, tools: readonly ToolModule[]): string {
  const text = renderDefaultConfig(agentName);
  const list = tools.map((t) => `  - ${JSON.stringify(t.file)}  # exports ${t.exports.join(", ")}`);
  const evolvable = [
    "# The tool modules evolve init found: evolution may edit these files and nothing else.",
    tools.length === 0 ? "evolvable: []  # none found: list your tool modules here and under sandbox.tools" : "evolvable:",
    ...list,
  ].join("\n");
  const toolsLine = `  tools: ${tools.length === 0 ? '["agent/tools/*.ts"]' : `[${tools.map((t) => JSON.stringify(t.file)).join(", ")}]`}  # modules whose exported functions are the agent's tools`;
  const out = text
    .replace(/^evolvable:.*$/m, () => evolvable)
    .replace(/^ {2}tools:.*$/m, () => toolsLine);
  const parsed = parseConfig(out);
  const wanted = tools.map((t) => t.file);
  if (JSON.stringify(parsed.evolvable) !== JSON.stringify(wanted) || (tools.length > 0 && JSON.stringify(parsed.sandbox.tools) !== JSON.stringify(wanted))) {
    throw new EvolveError("internal", "adoptConfigText: the default config no longer has the evolvable and sandbox.tools lines this expects");
  }
  return out;
}
