import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import { asAdditiveOperand, forEachRuntimeNode, isNumberType, nodeText, type Candidate, type Operator, type SourceContext } from "./common.js";

const K = ts.SyntaxKind;

/** `for (let v = A; v OP B; STEP)` taken apart, when it is that simple. */
interface Counted {
  name: string;
  from: ts.Expression;
  op: ts.SyntaxKind;
  to: ts.Expression;
  up: boolean;
  keyword: string;
}

function stepOf(e: ts.Expression | undefined, name: string): boolean | undefined {
  if (!e) return undefined;
  if ((ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e)) && ts.isIdentifier(e.operand) && e.operand.text === name) {
    if (e.operator === K.PlusPlusToken) return true;
    if (e.operator === K.MinusMinusToken) return false;
  }
  return undefined;
}

function counted(ctx: SourceContext, node: ts.ForStatement): Counted | undefined {
  const init = node.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  const d = init.declarations[0]!;
  if (!ts.isIdentifier(d.name) || !d.initializer || !isNumberType(ctx.checker, ctx.checker.getTypeAtLocation(d.name))) return undefined;
  const cond = node.condition;
  if (!cond || !ts.isBinaryExpression(cond) || !ts.isIdentifier(cond.left) || cond.left.text !== d.name.text) return undefined;
  const up = stepOf(node.incrementor, d.name.text);
  if (up === undefined) return undefined;
  const keyword = (init.flags & ts.NodeFlags.Let) !== 0 ? "let" : (init.flags & ts.NodeFlags.Const) !== 0 ? "const" : "var";
  return { name: d.name.text, from: d.initializer, op: cond.operatorToken.kind, to: cond.right, up, keyword };
}

/** The same values visited in the other order: `v = A; v < B; v++` <-> `v = B - 1; v >= A; v--`. */
function reversedHeader(ctx: SourceContext, c: Counted): string | undefined {
  const from = asAdditiveOperand(ctx, c.from);
  const to = asAdditiveOperand(ctx, c.to);
  const v = c.name;
  if (c.up && c.op === K.LessThanToken) return `${c.keyword} ${v} = ${to} - 1; ${v} >= ${from}; ${v}--`;
  if (c.up && c.op === K.LessThanEqualsToken) return `${c.keyword} ${v} = ${nodeText(ctx, c.to)}; ${v} >= ${from}; ${v}--`;
  if (!c.up && c.op === K.GreaterThanEqualsToken) return `${c.keyword} ${v} = ${nodeText(ctx, c.to)}; ${v} <= ${from}; ${v}++`;
  if (!c.up && c.op === K.GreaterThanToken) return `${c.keyword} ${v} = ${to} + 1; ${v} <= ${from}; ${v}++`;
  return undefined;
}

/** A counted `for` loop run in the other direction over the same range (0/1 knapsack needs it descending). */
export const loopDirection: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (!ts.isForStatement(node)) return;
    const c = counted(ctx, node);
    const header = c && reversedHeader(ctx, c);
    if (!header) return;
    const start = node.initializer!.getStart(ctx.sf);
    const end = node.incrementor!.getEnd();
    out.push({ edit: makeEdit(ctx.path, ctx.text, start, end, header, "loop-direction", undefined, node.getStart(ctx.sf)), focus: node.getStart(ctx.sf) });
  });
  return out;
};
