/**
 * Which TypeScript modules of an existing project can be the agent's tools: those that build alone
 * in the sandbox (no node builtins, no packages, every relative import present) and export
 * functions. `evolve init` in an existing repository lists them as the evolvable files.
 */
import { posix } from "node:path";
import type { FileMap } from "../kernel/files.js";
import { buildBundle } from "../sandbox/build.js";

/** A module whose exports can be called as tools. */
export interface ToolModule {
  /** Repository-relative POSIX path. */
  readonly file: string;
  /** Its value exports (functions, as far as the build can tell), sorted. */
  readonly exports: readonly string[];
}

/** The modules found, and the TypeScript files passed over with the reason. */
export interface ToolDetection {
  readonly tools: readonly ToolModule[];
  readonly skipped: ReadonlyArray<{ file: string; reason: string }>;
}

/** More candidates than this are not tried (each costs one build); the rest are reported as skipped. */
export const MAX_DETECTED_MODULES = 100;

const NOT_TOOLS = /(^|\/)(node_modules|dist|build|coverage|golden-tests|tests?|__tests__)\//;
const TEST_FILE = /\.(test|spec)\.ts$|\.d\.ts$/;
// Tool modules are named in the config as literal globs; these characters would make them patterns.
const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** TypeScript modules under `under` ("" = everywhere) that build alone and export something callable. */
export async function detectToolModules(files: FileMap, under = ""): Promise<ToolDetection> {
  const prefix = under === "" || under === "." ? "" : `${posix.normalize(under).replace(/\/+$/, "")}/`;
  const candidates = [...files.keys()].filter((p) => p.startsWith(prefix) && p.endsWith(".ts") && !TEST_FILE.test(p) && !NOT_TOOLS.test(p)).sort();
  const tools: ToolModule[] = [];
  const skipped: Array<{ file: string; reason: string }> = [];
  const owner = new Map<string, string>();
  for (const [i, file] of candidates.entries()) {
    if (i >= MAX_DETECTED_MODULES) {
      skipped.push({ file, reason: `not tried: more than ${MAX_DETECTED_MODULES} TypeScript files (add it to evolvable and sandbox.tools by hand)` });
      continue;
    }
    if (GLOB_CHARS.test(file)) {
      skipped.push({ file, reason: "its name holds glob characters" });
      continue;
    }
    const built = await buildBundle(files, { toolGlobs: [file] });
    if (!built.ok) {
      skipped.push({ file, reason: `does not build in the sandbox: ${built.reason.split("\n")[0]}` });
      continue;
    }
    if (built.tools.length === 0) {
      skipped.push({ file, reason: "exports no functions" });
      continue;
    }
    const clash = built.tools.find((name) => owner.has(name));
    if (clash !== undefined) {
      skipped.push({ file, reason: `exports "${clash}", which ${owner.get(clash)} exports too (tool names must be unique)` });
      continue;
    }
    for (const name of built.tools) owner.set(name, file);
    tools.push({ file, exports: built.tools });
  }
  return { tools, skipped };
}
