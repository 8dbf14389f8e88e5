import { builtinModules } from "node:module";
import { posix } from "node:path";
import type { FileMap } from "../kernel/files.js";

/** How an import specifier seen while bundling a candidate is treated. */
export type SpecifierVerdict =
  | { kind: "file"; path: string }
  | { kind: "package" }
  | { kind: "refused"; reason: string };

const builtins = new Set(builtinModules);

/** True for `fs`, `node:fs`, `fs/promises`, `node:test`, ... */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith("node:")) return true;
  return builtins.has(specifier) || builtins.has(specifier.split("/")[0] ?? "");
}

/** True if `specifier` is an allowed package or a subpath of one (`lodash` allows `lodash/fp`). */
export function isAllowedPackage(specifier: string, allow: readonly string[]): boolean {
  return allow.some((p) => specifier === p || specifier.startsWith(`${p}/`));
}

// NodeNext writes the extension of the emitted file; the candidate holds the source.
const sourceExtensions: Record<string, string[]> = {
  ".js": [".ts", ".tsx", ".js"],
  ".jsx": [".tsx", ".jsx"],
  ".mjs": [".mts", ".mjs"],
  ".cjs": [".cts", ".cjs"],
};

/**
 * Resolve an import made by a file of the candidate (`importer`, a FileMap path) to another
 * FileMap path, or say why it is refused. Nothing on disk is consulted.
 */
export function resolveInMemory(
  specifier: string,
  importer: string,
  files: FileMap,
  allowImports: readonly string[],
): SpecifierVerdict {
  if (isNodeBuiltin(specifier)) {
    return { kind: "refused", reason: "node builtins are not available to agent tools" };
  }
  if (specifier.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(specifier) || specifier.includes("\\")) {
    return { kind: "refused", reason: "absolute paths are outside the candidate's files" };
  }
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) {
    if (isAllowedPackage(specifier, allowImports)) return { kind: "package" };
    return { kind: "refused", reason: "package is not in allowImports" };
  }
  const joined = posix.normalize(posix.join(posix.dirname(importer), specifier));
  if (joined === ".." || joined.startsWith("../")) {
    return { kind: "refused", reason: "path is outside the workspace" };
  }
  for (const candidate of sourceCandidates(joined)) {
    if (files.has(candidate)) return { kind: "file", path: candidate };
  }
  return { kind: "refused", reason: `${joined} is not among the candidate's files` };
}

function sourceCandidates(path: string): string[] {
  const ext = posix.extname(path);
  const mapped = sourceExtensions[ext];
  if (mapped === undefined) return [path];
  const stem = path.slice(0, -ext.length);
  return mapped.map((e) => stem + e);
}

/** esbuild loader for a FileMap path: code by extension, JSON, and everything else as text (prompts). */
export function loaderFor(path: string): "ts" | "tsx" | "js" | "jsx" | "json" | "text" {
  const ext = posix.extname(path);
  switch (ext) {
    case ".ts":
    case ".mts":
    case ".cts":
      return "ts";
    case ".tsx":
      return "tsx";
    case ".js":
    case ".mjs":
    case ".cjs":
      return "js";
    case ".jsx":
      return "jsx";
    case ".json":
      return "json";
    default:
      return "text";
  }
}
