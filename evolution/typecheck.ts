import { Project, ts, type SourceFile } from "ts-morph";
import type { FileMap } from "../kernel/files.js";
import { createMemoryProject, fromVirtual, isTypeScriptPath, scriptKindOf, toVirtual } from "../kernel/ts-project.js";

/** "agent/tools/x.ts:3:5 TS2322: message" on one line. */
export function formatDiagnostic(d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, " ").replace(/\s+/g, " ");
  if (!d.file || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${fromVirtual(d.file.fileName)}:${line + 1}:${character + 1} TS${d.code}: ${message}`;
}

/**
 * TypeScript codes about the environment rather than the code: a module, Node's or the DOM's types
 * that the in-memory program does not have. An existing project may report them without being wrong.
 */
const ENVIRONMENT_CODES: ReadonlySet<number> = new Set([2307, 2580, 2584, 2591, 2792, 7016]);

/** Type errors of the evolvable files in `program` (those the environment causes left out), formatted with file:line:column. */
export function ownTypeErrors(program: ts.Program, isEvolvable: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!isEvolvable(fromVirtual(sf.fileName))) continue;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) if (!ENVIRONMENT_CODES.has(d.code)) out.push(formatDiagnostic(d));
  }
  return out;
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
    const out = importerClosure(project, path);
    importersCache.set(path, out);
    return out;
  };

  const baseDiagnostics = (): string[] => {
    const program = program0();
    return [...program.getGlobalDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].map(formatDiagnostic);
  };

  // What each file already reports in the base tree: an existing project may have errors the
  // in-memory program cannot avoid (an entry script importing node:process without @types/node);
  // a candidate is refused only for errors it introduces.
  const baseByFile = new Map<string, Set<string>>();
  const knownInBase = (path: string): Set<string> => {
    let known = baseByFile.get(path);
    if (known === undefined) {
      const program = program0();
      const sf = program.getSourceFile(toVirtual(path));
      known = new Set(sf ? fileDiagnostics(program, sf) : []);
      baseByFile.set(path, known);
    }
    return known;
  };

  const check = (candidate: FileMap, changed: readonly string[]): CheckResult => {
    const t0 = performance.now();
    const basis = program0();
    const { overrides, toCheck } = candidateOverrides(basis, base, candidate, changed, importersOf);
    if (toCheck.size === 0) return { ok: true, ms: performance.now() - t0 };
    const roots = [...new Set([...basis.getRootFileNames(), ...[...overrides].filter(([f, sf]) => sf && !f.endsWith(".json")).map(([f]) => f)])].filter((f) => overrides.get(f) !== null);
    const program = ts.createProgram({ rootNames: roots, options: basis.getCompilerOptions(), host: overlayHost(project, basis, overrides), oldProgram: basis });
    const diagnostics: string[] = [];
    for (const path of [...toCheck].sort()) {
      const sf = program.getSourceFile(toVirtual(path));
      if (!sf) continue;
      const known = knownInBase(path);
      diagnostics.push(...fileDiagnostics(program, sf).filter((d) => !known.has(d)));
    }
    const ms = performance.now() - t0;
    return diagnostics.length === 0 ? { ok: true, ms } : { ok: false, ms, diagnostics };
  };

  const rebase = (next: FileMap): void => {
    writeChanges(project, base, next);
    base = next;
    baseProgram = undefined;
    importersCache.clear();
    baseByFile.clear();
  };

  return { check, baseDiagnostics, program: program0, rebase };
}

function fileDiagnostics(program: ts.Program, sf: ts.SourceFile): string[] {
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(formatDiagnostic);
}

/** Every file that imports `path`, directly or transitively, sorted. */
function importerClosure(project: Project, path: string): string[] {
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
  return [...seen].sort();
}

/**
 * The candidate's changes as SourceFiles over the base program (null: deleted), and the files whose
 * diagnostics they can change: the changed code, JSON whose shape changed, and their importers.
 */
function candidateOverrides(basis: ts.Program, base: FileMap, candidate: FileMap, changed: readonly string[], importersOf: (path: string) => string[]): { overrides: Map<string, ts.SourceFile | null>; toCheck: Set<string> } {
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
  return { overrides, toCheck };
}

/** Write the files that differ between `base` and `next` into the project (code re-parsed, the rest as text). */
function writeChanges(project: Project, base: FileMap, next: FileMap): void {
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
}
