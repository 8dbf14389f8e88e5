import { Project, ts, type SourceFile } from "ts-morph";
import type { FileMap } from "../agent/files.js";

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

/** "agent/tools/x.ts:3:5 TS2322: message" on one line. */
export function formatDiagnostic(d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, " ").replace(/\s+/g, " ");
  if (!d.file || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${fromVirtual(d.file.fileName)}:${line + 1}:${character + 1} TS${d.code}: ${message}`;
}

/** The type TypeScript infers for a JSON module, as a string; undefined when the text is not JSON. */
export function jsonShape(text: string): string | undefined {
  const shape = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(shape);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
    }
    return v === null ? null : typeof v;
  };
  try {
    return JSON.stringify(shape(JSON.parse(text)));
  } catch {
    return undefined;
  }
}

/** Result of one candidate check. */
export type CheckResult = { ok: true; ms: number } | { ok: false; ms: number; diagnostics: string[] };

/** A warm checker over a base tree; candidates are checked by swapping text in and out. */
export interface TypeChecker {
  /**
   * Type-check the `changed` files of `candidate` (a path absent from it is a deletion) together with
   * every file that imports them, directly or transitively. The base program is never modified: the
   * candidate is a new program that shares every unchanged SourceFile with it.
   */
  check(candidate: FileMap, changed: readonly string[]): CheckResult;
  /** Diagnostics of the whole base tree; candidates are only meaningful when this is empty. */
  baseDiagnostics(): string[];
  /** The base program (built on first use); `analyse(files, isEvolvable, { program })` can share it. */
  program(): ts.Program;
  /**
   * Make `next` the base (an accepted candidate). Only the files that differ are re-parsed; the lib
   * files and every unchanged file are reused, which is what makes a new generation cheap (a cold
   * checker costs a second or more, a rebase tens of milliseconds).
   */
  rebase(next: FileMap): void;
}

/**
 * A compiler host over the base program: unchanged files (lib files included) are served as the very
 * SourceFile objects of the base program, so a candidate program re-parses and re-binds only what
 * changed, and "restoring the base" costs nothing.
 */
function overlayHost(project: Project, base: ts.Program, overrides: ReadonlyMap<string, ts.SourceFile | null>): ts.CompilerHost {
  const fs = project.getFileSystem();
  const textOf = (fileName: string): string | undefined => {
    const o = overrides.get(fileName);
    if (o === null) return undefined;
    if (o) return o.text;
    const sf = base.getSourceFile(fileName);
    if (sf) return sf.text;
    return fs.fileExistsSync(fileName) ? fs.readFileSync(fileName) : undefined;
  };
  return {
    getSourceFile: (fileName, languageVersion) => {
      const o = overrides.get(fileName);
      if (o !== undefined) return o ?? undefined;
      const sf = base.getSourceFile(fileName);
      if (sf) return sf;
      const text = textOf(fileName);
      return text === undefined ? undefined : ts.createSourceFile(fileName, text, languageVersion);
    },
    getDefaultLibFileName: (o) => `/node_modules/typescript/lib/${ts.getDefaultLibFileName(o)}`,
    getDefaultLibLocation: () => "/node_modules/typescript/lib",
    writeFile: () => undefined,
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => textOf(f) !== undefined,
    readFile: (f) => textOf(f),
    directoryExists: (d) => fs.directoryExistsSync(d) || d === "/node_modules/typescript/lib" || base.getSourceFiles().some((sf) => sf.fileName.startsWith(`${d}/`)),
    getDirectories: () => [],
    realpath: (f) => f,
  };
}

/** Create a warm checker. The first check (or baseDiagnostics) pays for building the base program. */
export function createTypeChecker(initial: FileMap, compilerOptions?: object): TypeChecker {
  let base = initial;
  const project = createMemoryProject(base, compilerOptions);
  let baseProgram: ts.Program | undefined;
  const program0 = (): ts.Program => (baseProgram ??= project.getProgram().compilerObject);
  // Importers never change between candidates (only the changed files do), so the closure of each
  // file's importers is computed once from the base tree.
  const importersCache = new Map<string, string[]>();

  const importersOf = (path: string): string[] => {
    const cached = importersCache.get(path);
    if (cached) return cached;
    program0();
    const seen = new Set<string>();
    const start = project.getSourceFile(toVirtual(path));
    const queue = start ? [start] : [];
    while (queue.length > 0) {
      const sf = queue.pop() as SourceFile;
      for (const ref of sf.getReferencingSourceFiles()) {
        const p = fromVirtual(ref.getFilePath());
        if (p === path || seen.has(p)) continue;
        seen.add(p);
        queue.push(ref);
      }
    }
    const out = [...seen].sort();
    importersCache.set(path, out);
    return out;
  };

  const baseDiagnostics = (): string[] => {
    const program = program0();
    return [...program.getGlobalDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].map(formatDiagnostic);
  };

  const check = (candidate: FileMap, changed: readonly string[]): CheckResult => {
    const t0 = performance.now();
    const basis = program0();
    const overrides = new Map<string, ts.SourceFile | null>();
    const toCheck = new Set<string>();
    for (const path of changed) {
      const text = candidate.get(path);
      // Only code and JSON take part in the program (prompts reach it as ambient text modules).
      if (text === base.get(path) || !(isTypeScriptPath(path) || path.endsWith(".json"))) continue;
      const virtual = toVirtual(path);
      if (text === undefined) overrides.set(virtual, null);
      else overrides.set(virtual, ts.createSourceFile(virtual, text, basis.getCompilerOptions().target ?? ts.ScriptTarget.ES2022, false, scriptKindOf(path)));
      if (text !== undefined && isTypeScriptPath(path)) toCheck.add(path);
      const base0 = base.get(path);
      if (path.endsWith(".json") && text !== undefined && base0 !== undefined) {
        // TypeScript widens JSON literals (40 -> number): same shape, same module type, nothing to re-check.
        const shape = jsonShape(text);
        if (shape !== undefined && shape === jsonShape(base0)) continue;
        toCheck.add(path); // its own syntax errors
      }
      for (const importer of importersOf(path)) toCheck.add(importer);
    }
    if (toCheck.size === 0) return { ok: true, ms: performance.now() - t0 };
    const roots = [...new Set([...basis.getRootFileNames(), ...[...overrides].filter(([f, sf]) => sf && !f.endsWith(".json")).map(([f]) => f)])].filter((f) => overrides.get(f) !== null);
    const program = ts.createProgram({ rootNames: roots, options: basis.getCompilerOptions(), host: overlayHost(project, basis, overrides), oldProgram: basis });
    const diagnostics: string[] = [];
    for (const path of [...toCheck].sort()) {
      const sf = program.getSourceFile(toVirtual(path));
      if (!sf) continue;
      diagnostics.push(...[...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(formatDiagnostic));
    }
    const ms = performance.now() - t0;
    return diagnostics.length === 0 ? { ok: true, ms } : { ok: false, ms, diagnostics };
  };

  const rebase = (next: FileMap): void => {
    const fs = project.getFileSystem();
    const paths = new Set([...base.keys(), ...next.keys()]);
    for (const path of paths) {
      const text = next.get(path);
      if (text === base.get(path)) continue;
      const virtual = toVirtual(path);
      if (isTypeScriptPath(path)) {
        const sf = project.getSourceFile(virtual);
        if (text === undefined) sf?.delete();
        else if (sf) sf.replaceWithText(text);
        else project.createSourceFile(virtual, text, { overwrite: true });
      } else if (text === undefined) {
        if (fs.fileExistsSync(virtual)) fs.deleteSync(virtual);
      } else {
        fs.writeFileSync(virtual, text);
      }
    }
    base = next;
    baseProgram = undefined;
    importersCache.clear();
  };

  return { check, baseDiagnostics, program: program0, rebase };
}
