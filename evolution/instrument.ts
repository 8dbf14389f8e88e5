import { ts } from "ts-morph";
import type { FileMap } from "../kernel/files.js";
import { lineColumn } from "./edits.js";
import { isFunctionWithBody } from "./operators/common.js";
import { isTypeScriptPath, scriptKindOf } from "../kernel/ts-project.js";

/** A statement (or unbraced body, or arrow expression body) whose execution is recorded. Offsets are in the base text. */
export interface StatementSite {
  id: number;
  file: string;
  start: number;
  end: number;
  /** 1-based. */
  line: number;
}

/** The global the instrumented code calls; the sandbox defines it for coverage runs. */
export const COVERAGE_FUNCTION = "__evolveCov";

interface Insertion {
  pos: number;
  text: string;
  /** Openers go before what they precede, closers after what they follow. */
  kind: "open" | "close";
  depth: number;
}

/** Statements that do nothing when control reaches them. */
function isInertStatement(s: ts.Statement): boolean {
  if (ts.isEmptyStatement(s) || ts.isFunctionDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isModuleDeclaration(s)) return true;
  const modifiers = ts.canHaveModifiers(s) ? ts.getModifiers(s) : undefined;
  return modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) ?? false;
}

/** Leading string-literal statements of a function body are directives ("use strict"): nothing may precede them. */
function directiveCount(block: ts.Block | ts.CaseOrDefaultClause): number {
  if (!ts.isBlock(block) || !isFunctionWithBody(block.parent)) return 0;
  let n = 0;
  for (const s of block.statements) {
    if (ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression)) n++;
    else break;
  }
  return n;
}

/** Bodies of if/else and loops that are a single statement without braces. */
function unbracedBodies(node: ts.Node): ts.Statement[] {
  const bodies: (ts.Statement | undefined)[] = [];
  if (ts.isIfStatement(node)) bodies.push(node.thenStatement, node.elseStatement);
  else if (ts.isForStatement(node) || ts.isForInStatement(node) || ts.isForOfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) bodies.push(node.statement);
  return bodies.filter((b): b is ts.Statement => b !== undefined && !ts.isBlock(b));
}

function instrumentFile(path: string, text: string, nextId: () => number, sites: StatementSite[]): string {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, scriptKindOf(path));
  const insertions: Insertion[] = [];
  const site = (start: number, end: number): number => {
    const id = nextId();
    sites.push({ id, file: path, start, end, line: lineColumn(text, start).line });
    return id;
  };

  const walk = (node: ts.Node, inFunction: boolean, depth: number): void => {
    const inside = inFunction || isFunctionWithBody(node);
    if (inside) {
      if (ts.isBlock(node) || ts.isCaseClause(node) || ts.isDefaultClause(node)) {
        node.statements.forEach((s, i) => {
          if (i < directiveCount(node) || isInertStatement(s)) return;
          const start = s.getStart(sf);
          insertions.push({ pos: start, text: `${COVERAGE_FUNCTION}(${site(start, s.getEnd())}); `, kind: "open", depth: depth + 1 });
        });
      }
      for (const body of unbracedBodies(node)) {
        const start = body.getStart(sf);
        const id = site(start, body.getEnd());
        insertions.push({ pos: start, text: `{ ${COVERAGE_FUNCTION}(${id}); `, kind: "open", depth: depth + 1 });
        insertions.push({ pos: body.getEnd(), text: " }", kind: "close", depth: depth + 1 });
      }
      if (ts.isArrowFunction(node) && !ts.isBlock(node.body)) {
        const start = node.body.getStart(sf);
        const id = site(start, node.body.getEnd());
        insertions.push({ pos: start, text: `(${COVERAGE_FUNCTION}(${id}), `, kind: "open", depth: depth + 1 });
        insertions.push({ pos: node.body.getEnd(), text: ")", kind: "close", depth: depth + 1 });
      }
    }
    ts.forEachChild(node, (child) => walk(child, inside, depth + 1));
  };
  ts.forEachChild(sf, (child) => walk(child, false, 1));

  // At one offset: closers before openers; closers innermost first, openers outermost first.
  insertions.sort((a, b) => {
    if (a.pos !== b.pos) return a.pos - b.pos;
    if (a.kind !== b.kind) return a.kind === "close" ? -1 : 1;
    return a.kind === "close" ? b.depth - a.depth : a.depth - b.depth;
  });
  let out = "";
  let last = 0;
  for (const ins of insertions) {
    out += text.slice(last, ins.pos) + ins.text;
    last = ins.pos;
  }
  return out + text.slice(last);
}

/**
 * Returns files with `__evolveCov(<id>);` inserted before every statement inside function bodies of
 * evolvable .ts files (unbraced if/loop bodies wrapped in `{ }`, expression-bodied arrows as
 * `(__evolveCov(id), expr)`). The result need not type-check (esbuild strips types) but runs with
 * the same semantics. Site ids are numbered from 0 in path order.
 */
export function instrument(files: FileMap, isEvolvable: (p: string) => boolean): { files: FileMap; sites: StatementSite[] } {
  const out = new Map(files);
  const sites: StatementSite[] = [];
  let counter = 0;
  const nextId = (): number => counter++;
  for (const path of [...files.keys()].sort()) {
    if (!isEvolvable(path) || !isTypeScriptPath(path) || path.endsWith(".d.ts")) continue;
    out.set(path, instrumentFile(path, files.get(path) as string, nextId, sites));
  }
  return { files: out, sites };
}
