import { createHash } from "node:crypto";
import * as esbuild from "esbuild";
import picomatch from "picomatch";
import type { FileMap } from "../kernel/files.js";
import { isNodeBuiltin, loaderFor, resolveInMemory } from "./resolve.js";

/** What `buildBundle` bundles and which imports it lets through. */
export interface BuildOptions {
  /** Globs of tool modules, default ["agent/tools/*.ts"]. */
  toolGlobs?: string[];
  /** Bare import specifiers a candidate may use (packages); default []. node builtins are never allowed. */
  allowImports?: string[];
  /** Directory whose node_modules the allowed packages are resolved from; default process.cwd(). */
  packageDir?: string;
}

/**
 * A bundle ready for the sandbox, or why there is none. `code` is an iife script that hands its tools
 * (tool id -> function) to `__evolveExport`, a parameter of the function the sandbox wraps it in (see
 * ./context.ts): nothing is published on the global object. `tools` lists the value exports of the tool
 * modules, sorted; an export that turns out not to be a function is skipped at run time (calling it
 * gives `missing-tool`). `default` exports are not tools.
 */
export type BuildResult =
  | { ok: true; code: string; tools: string[]; ms: number }
  | { ok: false; reason: string; file?: string; line?: number };

const MEM = "evolve-mem";
const ENTRY = "evolve-entry";

/**
 * Bundle the tool modules of a candidate from memory with esbuild. Every import is resolved from the
 * FileMap; node builtins, packages outside `allowImports` and paths outside the FileMap are refused
 * with `file:line: import "x" refused: why`.
 */
export async function buildBundle(files: FileMap, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const globs = options.toolGlobs ?? ["agent/tools/*.ts"];
  const isTool = picomatch(globs, { dot: false });
  const toolFiles = [...files.keys()].filter((p) => isTool(p) && !p.endsWith(".d.ts")).sort();
  if (toolFiles.length === 0) {
    return { ok: false, reason: `no tool modules match ${globs.join(", ")}` };
  }
  const plugin = memoryPlugin(files, toolFiles, options);
  const common: esbuild.BuildOptions = {
    bundle: true,
    write: false,
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    charset: "utf8",
    legalComments: "none",
    logLevel: "silent",
    tsconfigRaw: {},
    // import(x) with a computed x would reach Node's loader, whose rejection is an error object of
    // the host realm (its constructor chain leads to the host Function). Lowered, it becomes a
    // require() call that fails inside the sandbox.
    supported: { "dynamic-import": false },
    plugins: [plugin],
  };
  // The script, and in parallel the export names of each tool module (esbuild reports exports only
  // for ESM entry points, so the names come from a second, cached, pass).
  const [bundle, exported] = await Promise.allSettled([
    esbuild.build({ ...common, entryPoints: [`${ENTRY}:tools`], format: "iife" }),
    exportsOf(files, toolFiles, common),
  ]);
  if (bundle.status === "rejected") return failure(bundle.reason);
  if (exported.status === "rejected") return failure(exported.reason);
  const code = bundle.value.outputFiles?.[0]?.text;
  if (code === undefined) return { ok: false, reason: "esbuild produced no output" };

  const owner = new Map<string, string>();
  for (const file of toolFiles) {
    for (const name of exported.value.get(file) ?? []) {
      const other = owner.get(name);
      if (other !== undefined && other !== file) {
        const [a, b] = [other, file].sort();
        return { ok: false, reason: `tool "${name}" is exported by both ${a} and ${b}`, file: b };
      }
      owner.set(name, file);
    }
  }
  return { ok: true, code, tools: [...owner.keys()].sort(), ms: performance.now() - started };
}

// A module that re-exports (`export * from`, `export { x } from`) has exports that depend on other
// files: those go through a bundled pass. Every other module's exports follow from its own text.
const REEXPORT = /\bexport\s*(\*|\{[^}]*\})\s*(as\s+[\w$]+\s*)?from\b/;
const exportCache = new Map<string, string[]>();
const EXPORT_CACHE_MAX = 4096;

/** Value export names of each tool module (without `default`), keyed by FileMap path. */
async function exportsOf(files: FileMap, toolFiles: string[], common: esbuild.BuildOptions): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const plain: { file: string; key: string }[] = [];
  const reexporting: string[] = [];
  for (const file of toolFiles) {
    const text = files.get(file) ?? "";
    if (REEXPORT.test(text)) {
      reexporting.push(file);
      continue;
    }
    const key = `${file}\0${createHash("sha1").update(text).digest("hex")}`;
    const hit = exportCache.get(key);
    if (hit !== undefined) out.set(file, hit);
    else plain.push({ file, key });
  }
  const pass = async (entries: string[], bundle: boolean): Promise<esbuild.Metafile | undefined> => {
    if (entries.length === 0) return undefined;
    const r = await esbuild.build({ ...common, bundle, entryPoints: entries.map((p) => `${MEM}:${p}`), format: "esm", outdir: "out", metafile: true });
    return r.metafile;
  };
  const [plainMeta, reexportMeta] = await Promise.all([pass(plain.map((p) => p.file), false), pass(reexporting, true)]);
  for (const meta of [plainMeta, reexportMeta]) {
    for (const output of Object.values(meta?.outputs ?? {})) {
      const entry = output.entryPoint;
      if (entry === undefined || !entry.startsWith(`${MEM}:`)) continue;
      out.set(entry.slice(MEM.length + 1), output.exports.filter((n) => n !== "default"));
    }
  }
  for (const { file, key } of plain) {
    const names = out.get(file);
    if (names === undefined) continue;
    if (exportCache.size >= EXPORT_CACHE_MAX) exportCache.delete(exportCache.keys().next().value as string);
    exportCache.set(key, names);
  }
  return out;
}

function memoryPlugin(files: FileMap, toolFiles: string[], options: BuildOptions): esbuild.Plugin {
  const allow = options.allowImports ?? [];
  const packageDir = options.packageDir ?? process.cwd();
  return {
    name: "evolve-memory",
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === "entry-point") {
          if (args.path.startsWith(`${ENTRY}:`)) return { path: "tools", namespace: ENTRY };
          return { path: args.path.slice(MEM.length + 1), namespace: MEM };
        }
        if (args.namespace === ENTRY) return { path: args.path, namespace: MEM };
        const refuse = (why: string) => ({ errors: [{ text: `import "${args.path}" refused: ${why}` }] });
        if (args.namespace !== MEM) {
          // Inside an allowed package on disk: its own relative imports resolve normally, builtins never.
          if (isNodeBuiltin(args.path)) return refuse("node builtins are not available to agent tools");
          return undefined;
        }
        const verdict = resolveInMemory(args.path, args.importer, files, allow);
        if (verdict.kind === "refused") return refuse(verdict.reason);
        if (verdict.kind === "file") return { path: verdict.path, namespace: MEM };
        const found = await build.resolve(args.path, { kind: args.kind, resolveDir: packageDir });
        if (found.errors.length > 0) return refuse(`package not found from ${packageDir}`);
        return { path: found.path, namespace: found.namespace, external: false };
      });
      build.onLoad({ filter: /.*/, namespace: ENTRY }, () => ({ contents: entrySource(toolFiles), loader: "js" }));
      build.onLoad({ filter: /.*/, namespace: MEM }, (args) => {
        const contents = files.get(args.path);
        if (contents === undefined) return { errors: [{ text: `${args.path} is not among the candidate's files` }] };
        return { contents, loader: loaderFor(args.path) };
      });
    },
  };
}

/** The virtual entry: import every tool module and publish its functions by export name. */
function entrySource(toolFiles: string[]): string {
  const imports = toolFiles.map((p, i) => `import * as m${i} from ${JSON.stringify(p)};`);
  const list = toolFiles.map((_, i) => `m${i}`).join(", ");
  return `${imports.join("\n")}
const tools = Object.create(null);
for (const m of [${list}]) {
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (k !== "default" && typeof v === "function") tools[k] = v;
  }
}
__evolveExport(tools);
`;
}

function failure(error: unknown): BuildResult {
  const messages = (error as { errors?: esbuild.Message[] }).errors;
  const first = messages?.[0];
  if (first === undefined) return { ok: false, reason: `esbuild failed: ${String(error)}` };
  const more = messages !== undefined && messages.length > 1 ? ` (+${messages.length - 1} more)` : "";
  const loc = first.location;
  if (loc === null) return { ok: false, reason: first.text + more };
  const file = loc.file.startsWith(`${MEM}:`) ? loc.file.slice(MEM.length + 1) : loc.file;
  return { ok: false, reason: `${file}:${loc.line}: ${first.text}${more}`, file, line: loc.line };
}
