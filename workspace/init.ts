/**
 * `evolve init`: a new workspace is a new git repository whose first commit is generation 0, tagged
 * `gen-0`, so that every later generation has a known-good ancestor to diff, bisect and reset to.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { FileMap } from "../kernel/files.js";
import { packageRoot } from "../kernel/package-root.js";
import { renderDefaultConfig } from "./config.js";
import { WorkspaceError, CONFIG_FILE } from "./open.js";
import { initRepository, formatMessage } from "../ledger/index.js";
import { TRAILER } from "../ledger/record.js";

export function examplesDir(): string {
  return path.join(packageRoot(), "examples");
}

export function listExamples(): string[] {
  const dir = examplesDir();
  return readdirSync(dir).filter((name) => existsSync(path.join(dir, name, CONFIG_FILE))).sort();
}

/** Every file of a bundled example, read into memory. */
export function exampleFiles(name: string): FileMap {
  const known = listExamples();
  if (!known.includes(name)) throw new WorkspaceError(`no bundled example named "${name}" (bundled: ${known.join(", ")})`, "not-found", { what: "example", id: name });
  const root = path.join(examplesDir(), name);
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(root, full).split(path.sep).join("/"), readFileSync(full, "utf8"));
    }
  };
  walk(root);
  return files;
}

/** The files of an empty workspace: one tool, one golden case, the default config. */
export function scaffoldFiles(agentName: string): FileMap {
  return new Map([
    [CONFIG_FILE, renderDefaultConfig(agentName)],
    [
      "agent/tools/greet.ts",
      `/** A greeting for \`name\`. Add your agent's tools as exported functions in agent/tools/*.ts. */\nexport function greet(name: string): string {\n  return \`Hello, \${name}!\`;\n}\n`,
    ],
    ["agent/prompts/system.md", `You are ${agentName}, a helpful local agent. Use your tools when they can answer.\n`],
    ["agent/params.json", `{\n  "temperature": 0\n}\n`],
    [
      "golden-tests/greet.yaml",
      `# Golden cases: each calls a tool with arguments and checks the output.\ncases:\n  - id: greet-world\n    tool: greet\n    input: World\n    mustPass: true\n    assert:\n      - type: equals\n        value: Hello, World!\n`,
    ],
    [".gitignore", "node_modules/\n"],
  ]);
}

export interface InitResult {
  dir: string;
  commit: string;
  example: string | null;
}

export async function initWorkspace(dir: string, options: { example?: string } = {}): Promise<InitResult> {
  const target = path.resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new WorkspaceError(`${target} exists and is not empty: evolve init makes a new workspace and will not mix it with existing files`, "workspace", { dir: target });
  }
  const example = options.example ?? null;
  const files = example === null ? scaffoldFiles(path.basename(target)) : exampleFiles(example);
  const origin = example === null ? "an empty workspace" : `the bundled example "${example}"`;
  const message = formatMessage(
    `evolve: gen 0: initial agent from ${origin}`,
    "Generation 0: the starting point every later generation descends from.",
    [
      [TRAILER.generation, "0"],
      [TRAILER.action, "init"],
    ],
  );
  const { commit } = await initRepository(target, files, { message, tagName: "gen-0", tagMessage: "evolve generation 0: initial agent\n" });
  return { dir: target, commit, example };
}
