import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import { forEachRuntimeNode, isAnyLike, nodeText, replaceNode, textAfter, type Candidate, type Operator, type SourceContext } from "./common.js";

/** The expression under `!`, `( )` and `as`: `m[j]!` is an access of `m[j]`. */
function unwrap(e: ts.Expression): ts.Expression {
  let cur = e;
  while (ts.isNonNullExpression(cur) || ts.isParenthesizedExpression(cur) || ts.isAsExpression(cur)) cur = cur.expression;
  return cur;
}

/** `m[j][i]` -> `m[i][j]`: the two indices of a nested element access exchanged, when their types match. */
function swappedIndices(ctx: SourceContext, node: ts.ElementAccessExpression): Candidate[] {
  const inner = unwrap(node.expression);
  if (!ts.isElementAccessExpression(inner)) return [];
  const a = inner.argumentExpression;
  const b = node.argumentExpression;
  const aText = nodeText(ctx, a);
  const bText = nodeText(ctx, b);
  if (aText === bText) return [];
  const { checker } = ctx;
  const ta = checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(a));
  const tb = checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(b));
  if (!checker.isTypeAssignableTo(ta, tb) || !checker.isTypeAssignableTo(tb, ta)) return [];
  const start = a.getStart(ctx.sf);
  const text = `${bText}${ctx.text.slice(a.getEnd(), b.getStart(ctx.sf))}${aText}`;
  const shown = { old: nodeText(ctx, node), new: textAfter(ctx, node, start, b.getEnd(), text) };
  return [{ edit: makeEdit(ctx.path, ctx.text, start, b.getEnd(), text, "access", shown, node.getStart(ctx.sf)), focus: node.getStart(ctx.sf) }];
}

/** `p.age` -> `p.score`: another non-method property of the same object whose type fits where the read was. */
function otherProperties(ctx: SourceContext, node: ts.PropertyAccessExpression): Candidate[] {
  const { checker } = ctx;
  if (ts.isCallExpression(node.parent) && node.parent.expression === node) return [];
  const own = checker.getTypeAtLocation(node);
  if (isAnyLike(own)) return [];
  const want = checker.getBaseTypeOfLiteralType(own);
  const objectType = checker.getApparentType(checker.getTypeAtLocation(node.expression));
  const out: Candidate[] = [];
  for (const prop of checker.getPropertiesOfType(objectType)) {
    const name = prop.getName();
    if (name === node.name.text || !/^[A-Za-z_$][\w$]*$/.test(name)) continue;
    const t = checker.getTypeOfSymbolAtLocation(prop, node);
    if (isAnyLike(t) || t.getCallSignatures().length > 0 || !checker.isTypeAssignableTo(t, want)) continue;
    out.push(replaceNode(ctx, node.name, name, "access", { old: nodeText(ctx, node), new: `${nodeText(ctx, node.expression)}.${name}` }));
  }
  return out.map((c) => ({ ...c, focus: node.getStart(ctx.sf) }));
}

/** Changed index or property accesses: nested indices exchanged, a property read replaced by a sibling property. */
export const access: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (ts.isElementAccessExpression(node)) out.push(...swappedIndices(ctx, node));
    else if (ts.isPropertyAccessExpression(node) && !ts.isPrivateIdentifier(node.name)) out.push(...otherProperties(ctx, node));
  });
  return out;
};
