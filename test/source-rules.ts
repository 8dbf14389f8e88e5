/**
 * Rules about the source tree itself, checked by reading the files (no build): which folder may
 * import which (the layers of docs/architecture.md), where isomorphic-git may be imported, which
 * ledger modules are public, and that no code decides what to do from an error's message text.
 * Used by test/layers.test.ts and test/error-branching.test.ts.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { ROOT } from "./helpers.js";

/** Top-level source folders and their layer: a module may import only from lower layers and its own folder. */
export const LAYERS: Readonly<Record<string, number>> = {
  kernel: 0,
  sandbox: 1,
  ledger: 1,
  interactions: 1,
  snapshots: 1,
  // The learning memory: situations, their similarity and the SQLite store of past outcomes; used by the loop.
  memory: 1,
  "golden-tests": 2,
  queue: 2,
  workspace: 3,
  agent: 4,
  history: 5,
  tuning: 5,
  // The agent behind HTTP: answers with agent/, records into interactions/, follows the branch tip
  // through ledger/. Below evolution/, so the loop's watcher can be told what the server serves.
  serve: 5,
  evolution: 6,
  // The HTML report reads every layer below it (history, live metrics, the reflection) and is read by bin only.
  report: 7,
  // Background improvement: drives evolution/'s loop and history/'s rollback from file, commit,
  // schedule and feedback triggers. Above the loop it calls; below the commands that start it.
  watch: 7,
  bin: 8,
  bench: 8,
};

/** Top-level folders that hold no engine source (tests and benchmark data cross every layer). */
export const NOT_SOURCE = new Set(["node_modules", "dist", "test", "examples", "workspaces", "docs", "bench-results", "snapshots-out"]);

/** Packages only one folder may import. */
export const CONFINED_PACKAGES: Readonly<Record<string, string>> = { "isomorphic-git": "ledger", bullmq: "queue", ioredis: "queue" };

/**
 * The ledger's plumbing, which other folders may not import: the file system client, caches and ref
 * writes (fs), raw object encoding (objects), tree hashing and building (tree-hash) and work-tree
 * sync (worktree), and the bulk object readers under the history readers (pack-reader,
 * object-store). Every other ledger module is a concept of its own (record, revert, reset,
 * attempts, eval-cache, workspace-lock, ...) and may be imported directly, or through index.
 */
export const LEDGER_INTERNAL = new Set(["fs", "objects", "tree-hash", "worktree", "pack-reader", "object-store"]);

export interface SourceFile {
  /** POSIX path relative to the repository root. */
  readonly path: string;
  readonly text: string;
}

/** Every .ts file of the engine: the files under top-level folders not in NOT_SOURCE. */
export function sourceFiles(root = ROOT): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(root, dir)).sort()) {
      const rel = dir === "" ? name : `${dir}/${name}`;
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) out.push({ path: rel, text: readFileSync(path.join(root, rel), "utf8") });
    }
  };
  for (const top of readdirSync(root).sort()) {
    if (NOT_SOURCE.has(top) || top.startsWith(".") || !statSync(path.join(root, top)).isDirectory()) continue;
    walk(top);
  }
  return out;
}

/** The module specifiers a file imports: static imports, re-exports, `import type`, dynamic `import()`. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** One broken rule: the file, the import as written, and why it is not allowed. */
export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly rule: string;
}

export function formatViolation(v: Violation): string {
  return `${v.file}: import "${v.specifier}": ${v.rule}`;
}

/** Every import of `files` that breaks a layer, package or ledger-internals rule. */
export function importViolations(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const top = file.path.split("/")[0]!;
    const layer = LAYERS[top];
    if (layer === undefined) {
      out.push({ file: file.path, specifier: "", rule: `top-level folder ${top}/ has no layer; add it to docs/architecture.md and LAYERS in test/source-rules.ts` });
      continue;
    }
    for (const specifier of importsOf(file.text)) out.push(...checkImport(file.path, top, layer, specifier));
  }
  return out;
}

function checkImport(file: string, top: string, layer: number, specifier: string): Violation[] {
  if (!specifier.startsWith(".")) {
    const pkg = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
    const home = CONFINED_PACKAGES[pkg];
    return home !== undefined && home !== top ? [{ file, specifier, rule: `${pkg} may be imported only under ${home}/ (use ${home === "ledger" ? "a ledger function" : `a function of ${home}/`})` }] : [];
  }
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  const targetTop = target.split("/")[0]!;
  if (targetTop === top) return [];
  const targetLayer = LAYERS[targetTop];
  if (targetLayer === undefined) return [{ file, specifier, rule: `${target} is outside the layered source folders` }];
  const out: Violation[] = [];
  if (targetLayer >= layer) {
    out.push({ file, specifier, rule: `${top}/ (layer ${layer}) may not import ${targetTop}/ (layer ${targetLayer}); imports point down only` });
  }
  if (targetTop === "ledger") {
    const module = target.slice("ledger/".length).replace(/\.js$/, "");
    if (LEDGER_INTERNAL.has(module)) out.push({ file, specifier, rule: `ledger/${module} is internal to the ledger; import it from ledger/index.js or a public ledger module` });
  }
  return out;
}

/** A place where code reads an error's message or name to decide what to do. */
export interface TextBranch {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

const MATCHERS = new Set(["startsWith", "endsWith", "includes", "match", "matchAll", "search", "replace", "replaceAll", "indexOf", "test", "exec"]);
const ERRORISH = /^(e|err|error|ex|exc|cause|failure|reason|rejection)$/i;

/**
 * `.message` / `.name` of an error-like value compared with ===, matched by a regular expression,
 * searched (startsWith, includes, replace, ...) or switched on. Error-like: a variable named like
 * an error (`e`, `err`, `error`, ...), a cast to an Error type (`(x as Error)`), a property named
 * `error` or `cause`, or `errorMessage(x)` / `errorText(x)` / `String(e)`. Commit messages and AST
 * nodes' names are not error-like and are left alone.
 */
export function errorTextBranches(file: string, text: string): TextBranch[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: TextBranch[] = [];
  const report = (node: ts.Node): void => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    out.push({ file, line: line + 1, code: node.getText(sf).replace(/\s+/g, " ").slice(0, 120) });
  };
  const visit = (node: ts.Node): void => {
    if (isErrorText(node) && isBranchedOn(node)) report(node.parent);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function isErrorText(node: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(node) && (node.name.text === "message" || node.name.text === "name")) return isErrorLike(node.expression);
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
    const callee = node.expression.text;
    const arg = node.arguments[0];
    if (callee === "errorMessage" || callee === "errorText") return true;
    if (callee === "String" && arg !== undefined) return isErrorLike(arg);
  }
  return false;
}

function isErrorLike(expr: ts.Expression): boolean {
  const inner = ts.isParenthesizedExpression(expr) ? expr.expression : expr;
  if (ts.isIdentifier(inner)) return declaredAsError(inner) ?? ERRORISH.test(inner.text);
  if (ts.isAsExpression(inner)) return /Error\b/.test(inner.type.getText());
  if (ts.isPropertyAccessExpression(inner)) return inner.name.text === "error" || inner.name.text === "cause";
  return false;
}

/**
 * Whether the nearest declaration of `id` among its enclosing scopes holds an error: a `catch (x)`
 * variable, or a parameter of a `.catch(...)` callback. A parameter of any other function (an
 * `entries.map((e) => ...)`) holds something else. Undefined when no enclosing scope declares it.
 */
function declaredAsError(id: ts.Identifier): boolean | undefined {
  for (let at: ts.Node | undefined = id.parent; at !== undefined; at = at.parent) {
    if (ts.isCatchClause(at) && at.variableDeclaration !== undefined && at.variableDeclaration.name.getText() === id.text) return true;
    if (ts.isFunctionLike(at) && at.parameters.some((p) => p.name.getText() === id.text)) {
      const call = at.parent;
      return ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === "catch";
    }
  }
  return undefined;
}

function isBranchedOn(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    return op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
  }
  if (ts.isSwitchStatement(parent) && parent.expression === node) return true;
  // x.message.startsWith(...), x.message.replace(...)
  if (ts.isPropertyAccessExpression(parent) && parent.expression === node && MATCHERS.has(parent.name.text)) return ts.isCallExpression(parent.parent);
  // /re/.test(x.message), /re/.exec(x.message)
  if (ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression) && ts.isPropertyAccessExpression(parent.expression)) {
    return parent.expression.name.text === "test" || parent.expression.name.text === "exec";
  }
  return false;
}

/** Size limits of docs/architecture.md: a module holds one concept, a function reads in one screen. */
export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 80;

/**
 * Files over MAX_FILE_LINES and functions (declarations, methods, arrows, function expressions,
 * each nested one on its own) over MAX_FUNCTION_LINES, as "path:line name (N lines)".
 */
export function sizeViolations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const lines = f.text.split("\n").length - (f.text.endsWith("\n") ? 1 : 0);
    if (lines > MAX_FILE_LINES) out.push(`${f.path}: ${lines} lines (at most ${MAX_FILE_LINES})`);
    const sf = ts.createSourceFile(f.path, f.text, ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessor(n)) {
        const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
        const span = sf.getLineAndCharacterOfPosition(n.getEnd()).line - start + 1;
        if (span > MAX_FUNCTION_LINES) out.push(`${f.path}:${start + 1} ${functionName(n)} (${span} lines, at most ${MAX_FUNCTION_LINES})`);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

function functionName(n: ts.Node): string {
  const named = (n as { name?: ts.Node }).name;
  if (named !== undefined) return named.getText();
  const p = n.parent;
  if (p !== undefined && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p))) return p.name.getText();
  return "(anonymous function)";
}
