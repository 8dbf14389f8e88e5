/**
 * An in-memory TypeScript project over a FileMap, shared by the type checker, the operators' analysis,
 * the LLM proposer and self-snapshots: one idea of which files are TypeScript and where they live.
 */
import { Project, ts } from "ts-morph";
import type { FileMap } from "./files.js";

/**
 * Compiler options for agent code. The sandbox bundles with esbuild, so resolution follows a bundler
 * (`./x.js` finds `./x.ts`, JSON imports need no attribute) and isolatedModules keeps every file
 * transpilable on its own. No @types: agent tools get the language, not Node.
 */
export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2022.d.ts"],
  types: [],
  skipLibCheck: true,
  resolveJsonModule: true,
  isolatedModules: true,
  noEmit: true,
};

/** Prompts are imported as text by the sandbox's build; this tells the checker what such an import yields. */
const AMBIENT_PATH = "/__evolve_ambient__.d.ts";
const AMBIENT_TEXT = ["md", "txt", "prompt"]
  .map((ext) => `declare module "*.${ext}" { const text: string; export default text; }`)
  .join("\n");

/** Source files the checker owns: TypeScript, excluding anything under node_modules. */
export function isTypeScriptPath(path: string): boolean {
  return /\.(m|c)?tsx?$/.test(path) && !path.split("/").includes("node_modules");
}

/** How TypeScript should parse a file, by extension. */
export function scriptKindOf(path: string): ts.ScriptKind {
  if (path.endsWith(".json")) return ts.ScriptKind.JSON;
  if (path.endsWith(".tsx")) return ts.ScriptKind.TSX;
  return ts.ScriptKind.TS;
}

/** Workspace path <-> path in the in-memory file system. */
export const toVirtual = (path: string): string => `/${path}`;
export const fromVirtual = (path: string): string => path.replace(/^\//, "");

/** Accept either ts.CompilerOptions or tsconfig-style JSON ("ES2022", "bundler", ["es2022"]). */
function normaliseOptions(options: object | undefined): ts.CompilerOptions {
  if (!options) return DEFAULT_COMPILER_OPTIONS;
  const record = options as Record<string, unknown>;
  const jsonStyle = ["target", "module", "moduleResolution", "jsx", "newLine"].some((k) => typeof record[k] === "string");
  if (!jsonStyle) return { ...DEFAULT_COMPILER_OPTIONS, ...(options as ts.CompilerOptions) };
  const converted = ts.convertCompilerOptionsFromJson(options, "/");
  if (converted.errors.length > 0) {
    const why = converted.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("; ");
    throw new Error(`type-check compiler options: ${why}`);
  }
  return { ...DEFAULT_COMPILER_OPTIONS, ...converted.options };
}

/**
 * An in-memory ts-morph project over a FileMap: every file is written to the virtual file system
 * (so JSON and text imports resolve) and every TypeScript file becomes a source file.
 */
export function createMemoryProject(files: FileMap, compilerOptions?: object): Project {
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: normaliseOptions(compilerOptions) });
  const fs = project.getFileSystem();
  for (const [path, text] of files) {
    if (isTypeScriptPath(path)) project.createSourceFile(toVirtual(path), text, { overwrite: true });
    else fs.writeFileSync(toVirtual(path), text);
  }
  if (!files.has(fromVirtual(AMBIENT_PATH))) project.createSourceFile(AMBIENT_PATH, AMBIENT_TEXT, { overwrite: true });
  return project;
}

