import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import { isFunctionWithBody, isJump, lineIndent, nodeText, type Candidate, type Operator, type SourceContext } from "./common.js";

/** Whether `node` runs inside a loop of its own function (a `break`/`continue` there is legal). */
function inLoop(node: ts.Node): boolean {
  for (let cur = node.parent; cur; cur = cur.parent) {
    if (isFunctionWithBody(cur)) return false;
    if (ts.isIterationStatement(cur, false)) return true;
  }
  return false;
}

/** `break;` / `continue;` appended to a block (or a lone `if` branch) inside a loop body, not to the loop body itself. */
function jumpCandidates(ctx: SourceContext, node: ts.Node): Candidate[] {
  const out: Candidate[] = [];
  const jumps = ["break;", "continue;"];
  if (ts.isBlock(node) && node.statements.length > 0 && !ts.isIterationStatement(node.parent, false) && inLoop(node)) {
    const last = node.statements[node.statements.length - 1]!;
    if (isJump(last)) return out;
    const { indent } = lineIndent(ctx.text, last.getStart(ctx.sf));
    for (const j of jumps) {
      const at = last.getEnd();
      const shown = { old: nodeText(ctx, last), new: `${nodeText(ctx, last)} ${j}` };
      out.push({ edit: makeEdit(ctx.path, ctx.text, at, at, `\n${indent}${j}`, "insert-jump", shown, last.getStart(ctx.sf)), focus: last.getStart(ctx.sf) });
    }
  } else if (ts.isIfStatement(node) && ts.isExpressionStatement(node.thenStatement) && inLoop(node)) {
    const s = node.thenStatement;
    for (const j of jumps) out.push(wrapped(ctx, s, `{ ${nodeText(ctx, s)} ${j} }`));
  }
  return out;
}

function wrapped(ctx: SourceContext, s: ts.Statement, text: string): Candidate {
  const start = s.getStart(ctx.sf);
  return { edit: makeEdit(ctx.path, ctx.text, start, s.getEnd(), text, "insert-jump"), focus: start };
}

/** The declared or inferred return type of the function owning `node`, or undefined (generators, void). */
function returnTypeAt(ctx: SourceContext, node: ts.Node): ts.Type | undefined {
  for (let cur = node.parent; cur; cur = cur.parent) {
    if (!isFunctionWithBody(cur)) continue;
    if (!ts.isFunctionLike(cur) || (cur as ts.FunctionLikeDeclaration).asteriskToken) return undefined;
    const sig = ctx.checker.getSignatureFromDeclaration(cur);
    const t = sig?.getReturnType();
    if (!t || (t.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Any)) !== 0) return undefined;
    return t;
  }
  return undefined;
}

/** `f(x);` -> `return f(x);` where the call's value is what the function returns (a recursive result thrown away). */
function returnCandidates(ctx: SourceContext, node: ts.Node): Candidate[] {
  if (!ts.isExpressionStatement(node) || !ts.isCallExpression(node.expression)) return [];
  const want = returnTypeAt(ctx, node);
  if (!want) return [];
  const got = ctx.checker.getTypeAtLocation(node.expression);
  if ((got.flags & (ts.TypeFlags.Void | ts.TypeFlags.Any)) !== 0 || !ctx.checker.isTypeAssignableTo(got, want)) return [];
  const start = node.getStart(ctx.sf);
  return [{ edit: makeEdit(ctx.path, ctx.text, start, start, "return ", "insert-jump", { old: nodeText(ctx, node), new: `return ${nodeText(ctx, node)}` }), focus: start }];
}

/** A missing `break`, `continue` or `return` inserted where it is legal and types agree. */
export const insertJump: Operator = (ctx) => {
  const out: Candidate[] = [];
  const walk = (node: ts.Node): void => {
    out.push(...jumpCandidates(ctx, node), ...returnCandidates(ctx, node));
    ts.forEachChild(node, walk);
  };
  ts.forEachChild(ctx.sf, walk);
  return out;
};
