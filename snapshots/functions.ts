/**
 * Functions of a source file by name, as snapshots show them and edit operations address them:
 * `name` for a top-level function declaration or a top-level `const name = (...) => ...` /
 * `function` expression, `Class.method` for a method of a top-level class.
 */
import { Node, type ArrowFunction, type FunctionDeclaration, type FunctionExpression, type MethodDeclaration, type SourceFile } from "ts-morph";

/** Anything that has parameters and (usually) a body. */
export type FunctionLike = FunctionDeclaration | ArrowFunction | FunctionExpression | MethodDeclaration;

/** A named function of a file. */
export interface NamedFunction {
  /** `name` or `Class.method`. */
  name: string;
  fn: FunctionLike;
  /** The node whose text is "the function": the declaration, the variable statement, or the method. */
  outer: Node;
  exported: boolean;
}

/** Every named function of `sf`, in source order; overload signatures are skipped (only implementations). */
export function namedFunctions(sf: SourceFile): NamedFunction[] {
  const out: NamedFunction[] = [];
  for (const st of sf.getStatements()) {
    if (Node.isFunctionDeclaration(st)) {
      const name = st.getName();
      if (name !== undefined && st.hasBody()) out.push({ name, fn: st, outer: st, exported: st.hasExportKeyword() });
    } else if (Node.isVariableStatement(st)) {
      for (const decl of st.getDeclarations()) {
        const init = decl.getInitializer();
        if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))) {
          out.push({ name: decl.getName(), fn: init, outer: st, exported: st.hasExportKeyword() });
        }
      }
    } else if (Node.isClassDeclaration(st)) {
      const cls = st.getName();
      if (cls === undefined) continue;
      for (const m of st.getMethods()) {
        if (m.hasBody()) out.push({ name: `${cls}.${m.getName()}`, fn: m, outer: m, exported: st.hasExportKeyword() });
      }
    }
  }
  return out;
}

/** The function called `name` in `sf`, or undefined. */
export function findFunction(sf: SourceFile, name: string): NamedFunction | undefined {
  return namedFunctions(sf).find((f) => f.name === name);
}

/** 1-based start line of each top-level statement of a function's block body (empty for an expression body). */
export function statementLines(fn: FunctionLike): number[] {
  const body = fn.getBody();
  if (!body || !Node.isBlock(body)) return [];
  return body.getStatements().map((s) => s.getStartLineNumber());
}
