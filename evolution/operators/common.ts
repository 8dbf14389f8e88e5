import { ts } from "ts-morph";
import { makeEdit, type Edit, type OperatorName } from "../edits.js";

/** One evolvable source file as the operators see it: base text, parsed tree, and the project's checker. */
export interface SourceContext {
  path: string;
  text: string;
  sf: ts.SourceFile;
  checker: ts.TypeChecker;
}

/**
 * An edit plus the offset whose suspiciousness ranks it. For replacements that is the start; an
 * insertion after a statement is ranked by that statement.
 */
export interface Candidate {
  edit: Edit;
  focus: number;
}

/** An operator family: every candidate edit it proposes for one file. */
export type Operator = (ctx: SourceContext) => Candidate[];

/** A candidate replacing `node` (from its first token, comments excluded) with `text`. */
export function replaceNode(
  ctx: SourceContext,
  node: ts.Node,
  text: string,
  operator: OperatorName,
  shown?: { old: string; new: string },
): Candidate {
  const start = node.getStart(ctx.sf);
  return { edit: makeEdit(ctx.path, ctx.text, start, node.getEnd(), text, operator, shown), focus: start };
}

export function nodeText(ctx: SourceContext, node: ts.Node): string {
  return ctx.text.slice(node.getStart(ctx.sf), node.getEnd());
}

/** Subtrees that hold no run-time expressions worth mutating: types, module plumbing, ambient code. */
function isInert(node: ts.Node): boolean {
  if (ts.isTypeNode(node)) return true;
  switch (node.kind) {
    case ts.SyntaxKind.ImportDeclaration:
    case ts.SyntaxKind.ExportDeclaration:
    case ts.SyntaxKind.ImportEqualsDeclaration:
    case ts.SyntaxKind.InterfaceDeclaration:
    case ts.SyntaxKind.TypeAliasDeclaration:
    case ts.SyntaxKind.ModuleDeclaration:
    case ts.SyntaxKind.HeritageClause:
    case ts.SyntaxKind.Decorator:
    case ts.SyntaxKind.TypeParameter:
      return true;
  }
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  return modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) ?? false;
}

/** Visit every node of run-time code in source order, skipping type-level and import/export subtrees. */
export function forEachRuntimeNode(sf: ts.SourceFile, visit: (node: ts.Node) => void): void {
  const walk = (node: ts.Node): void => {
    if (isInert(node)) return;
    visit(node);
    ts.forEachChild(node, walk);
  };
  ts.forEachChild(sf, walk);
}

/** A function-like node that has a body (declarations, methods, accessors, arrows, static blocks). */
export function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration | ts.ClassStaticBlockDeclaration {
  if (ts.isClassStaticBlockDeclaration(node)) return true;
  return ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body !== undefined;
}

/** The nearest enclosing function-like node (with a body), or undefined at module level. */
export function enclosingFunction(node: ts.Node): ts.Node | undefined {
  for (let cur = node.parent; cur; cur = cur.parent) if (isFunctionWithBody(cur)) return cur;
  return undefined;
}

/** Returned expressions: `return e;` and the body of an expression-bodied arrow. */
export function returnedExpression(node: ts.Node): ts.Expression | undefined {
  if (ts.isReturnStatement(node)) return node.expression;
  if (ts.isArrowFunction(node) && !ts.isBlock(node.body)) return node.body;
  return undefined;
}

/** A list of statements executed in order, inside some function body. */
export interface StatementList {
  statements: readonly ts.Statement[];
  /** The function-like node whose body holds this list. */
  owner: ts.Node;
}

/** Every statement list (blocks, case clauses) that lives inside a function body, in source order. */
export function statementLists(sf: ts.SourceFile): StatementList[] {
  const out: StatementList[] = [];
  const walk = (node: ts.Node, owner: ts.Node | undefined): void => {
    if (isInert(node)) return;
    const nextOwner = isFunctionWithBody(node) ? node : owner;
    if (nextOwner && (ts.isBlock(node) || ts.isCaseClause(node) || ts.isDefaultClause(node))) {
      out.push({ statements: node.statements, owner: nextOwner });
    }
    ts.forEachChild(node, (child) => walk(child, nextOwner));
  };
  ts.forEachChild(sf, (child) => walk(child, undefined));
  return out;
}

/** Statements that only declare: removing, duplicating or moving them mostly yields compile errors. */
export function isDeclarationStatement(s: ts.Statement): boolean {
  return (
    ts.isVariableStatement(s) ||
    ts.isFunctionDeclaration(s) ||
    ts.isClassDeclaration(s) ||
    ts.isInterfaceDeclaration(s) ||
    ts.isTypeAliasDeclaration(s) ||
    ts.isEnumDeclaration(s) ||
    ts.isModuleDeclaration(s) ||
    ts.isImportDeclaration(s) ||
    ts.isExportDeclaration(s)
  );
}

/** Statements after which nothing in the same list runs. */
export function isJump(s: ts.Statement): boolean {
  return ts.isReturnStatement(s) || ts.isThrowStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s);
}

/** Names bound by a statement (variable, function, class declarations), destructuring included. */
export function declaredNames(s: ts.Statement): Set<string> {
  const names = new Set<string>();
  const addBinding = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) addBinding(el.name);
  };
  if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) addBinding(d.name);
  if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) names.add(s.name.text);
  return names;
}

/** Every identifier text under a node. */
export function identifierTexts(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) out.add(n.text);
    ts.forEachChild(n, walk);
  };
  walk(node);
  return out;
}

// ---- types -----------------------------------------------------------------------------------

function isLoose(t: ts.Type): boolean {
  return (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) !== 0;
}

/** The type is a number (or a union of numeric literals); `any` does not count. */
export function isNumberType(checker: ts.TypeChecker, t: ts.Type): boolean {
  return !isLoose(t) && checker.isTypeAssignableTo(t, checker.getNumberType());
}

export function isStringType(checker: ts.TypeChecker, t: ts.Type): boolean {
  return !isLoose(t) && checker.isTypeAssignableTo(t, checker.getStringType());
}

export function isBooleanType(checker: ts.TypeChecker, t: ts.Type): boolean {
  return !isLoose(t) && checker.isTypeAssignableTo(t, checker.getBooleanType());
}

export function isBigIntType(checker: ts.TypeChecker, t: ts.Type): boolean {
  return !isLoose(t) && checker.isTypeAssignableTo(t, checker.getBigIntType());
}

export function isArrayType(checker: ts.TypeChecker, t: ts.Type): boolean {
  return !isLoose(t) && checker.isArrayType(t);
}

export function isAnyLike(t: ts.Type): boolean {
  return isLoose(t);
}

/** null or undefined can inhabit the type (so `??` and a `null` return are meaningful). */
export function includesNullish(t: ts.Type): boolean {
  if (isLoose(t)) return false;
  const parts = t.isUnion() ? t.types : [t];
  return parts.some((p) => (p.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0);
}

export function includesNull(t: ts.Type): boolean {
  if (isLoose(t)) return false;
  const parts = t.isUnion() ? t.types : [t];
  return parts.some((p) => (p.flags & ts.TypeFlags.Null) !== 0);
}

// ---- precedence ------------------------------------------------------------------------------
// Operators rewrite text, so every new expression must parse back to the tree the edit intends.

const BINARY_PRECEDENCE = new Map<ts.SyntaxKind, number>([
  [ts.SyntaxKind.AsteriskAsteriskToken, 15],
  [ts.SyntaxKind.AsteriskToken, 14],
  [ts.SyntaxKind.SlashToken, 14],
  [ts.SyntaxKind.PercentToken, 14],
  [ts.SyntaxKind.PlusToken, 13],
  [ts.SyntaxKind.MinusToken, 13],
  [ts.SyntaxKind.LessThanLessThanToken, 12],
  [ts.SyntaxKind.GreaterThanGreaterThanToken, 12],
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken, 12],
  [ts.SyntaxKind.LessThanToken, 11],
  [ts.SyntaxKind.LessThanEqualsToken, 11],
  [ts.SyntaxKind.GreaterThanToken, 11],
  [ts.SyntaxKind.GreaterThanEqualsToken, 11],
  [ts.SyntaxKind.InstanceOfKeyword, 11],
  [ts.SyntaxKind.InKeyword, 11],
  [ts.SyntaxKind.EqualsEqualsToken, 10],
  [ts.SyntaxKind.ExclamationEqualsToken, 10],
  [ts.SyntaxKind.EqualsEqualsEqualsToken, 10],
  [ts.SyntaxKind.ExclamationEqualsEqualsToken, 10],
  [ts.SyntaxKind.AmpersandToken, 9],
  [ts.SyntaxKind.CaretToken, 8],
  [ts.SyntaxKind.BarToken, 7],
  [ts.SyntaxKind.AmpersandAmpersandToken, 6],
  [ts.SyntaxKind.BarBarToken, 5],
  [ts.SyntaxKind.QuestionQuestionToken, 4],
  [ts.SyntaxKind.CommaToken, 1],
]);

const UNARY = 16;
const PRIMARY = 20;

export function binaryPrecedence(op: ts.SyntaxKind): number {
  return BINARY_PRECEDENCE.get(op) ?? 2; // assignments
}

/** How tightly an expression binds, on the same scale as binaryPrecedence. */
export function expressionPrecedence(e: ts.Expression): number {
  if (ts.isBinaryExpression(e)) return binaryPrecedence(e.operatorToken.kind);
  if (ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return 11;
  if (ts.isConditionalExpression(e)) return 3;
  if (ts.isArrowFunction(e) || ts.isYieldExpression(e)) return 2;
  if (
    ts.isPrefixUnaryExpression(e) ||
    ts.isTypeOfExpression(e) ||
    ts.isVoidExpression(e) ||
    ts.isDeleteExpression(e) ||
    ts.isAwaitExpression(e) ||
    ts.isTypeAssertionExpression(e)
  ) {
    return UNARY;
  }
  if (ts.isPostfixUnaryExpression(e)) return UNARY + 1;
  return PRIMARY;
}

const isShortCircuit = (k: ts.SyntaxKind): boolean => k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken;

/** `??` may not mix with unparenthesised `&&`/`||` on either side. */
function mixesNullish(a: ts.SyntaxKind, b: ts.SyntaxKind): boolean {
  const q = ts.SyntaxKind.QuestionQuestionToken;
  return (a === q && isShortCircuit(b)) || (b === q && isShortCircuit(a));
}

function operandNeedsParens(operand: ts.Expression, op: ts.SyntaxKind, side: "left" | "right"): boolean {
  const p = binaryPrecedence(op);
  const q = expressionPrecedence(operand);
  if (ts.isBinaryExpression(operand) && mixesNullish(operand.operatorToken.kind, op)) return true;
  if (op === ts.SyntaxKind.AsteriskAsteriskToken) return side === "left" ? q <= UNARY : q < p;
  return side === "left" ? q < p : q <= p;
}

/** Wrap in parentheses when `text` (an expression) would otherwise bind differently as an operand. */
function wrap(text: string, needed: boolean): string {
  return needed ? `(${text})` : text;
}

/**
 * Text for `node` with its operator replaced by `newOp`, parenthesised as needed so that the result
 * parses as that operator applied to the same two operands, in the same surrounding expression.
 * Returns the range to replace: only the operator token when no parentheses are needed.
 */
export function rebuildBinary(
  ctx: SourceContext,
  node: ts.BinaryExpression,
  newOp: ts.SyntaxKind,
): { start: number; end: number; text: string } {
  const opText = ts.tokenToString(newOp) as string;
  const leftParens = operandNeedsParens(node.left, newOp, "left");
  const rightParens = operandNeedsParens(node.right, newOp, "right");
  let wholeParens = false;
  const parent = node.parent;
  if (ts.isBinaryExpression(parent)) {
    // Judge the node as an operand of its parent, as if it already carried the new operator.
    const parentOp = parent.operatorToken.kind;
    const p = binaryPrecedence(newOp);
    const q = binaryPrecedence(parentOp);
    const isLeft = parent.left === node;
    if (mixesNullish(newOp, parentOp)) wholeParens = true;
    else if (parentOp === ts.SyntaxKind.AsteriskAsteriskToken) wholeParens = isLeft || p < q;
    else wholeParens = isLeft ? p < q : p <= q;
  } else if ((ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent)) && binaryPrecedence(newOp) < 11) {
    wholeParens = true;
  }
  if (!leftParens && !rightParens && !wholeParens) {
    return { start: node.operatorToken.getStart(ctx.sf), end: node.operatorToken.getEnd(), text: opText };
  }
  const start = node.getStart(ctx.sf);
  const left = ctx.text.slice(start, node.left.getEnd());
  const between1 = ctx.text.slice(node.left.getEnd(), node.operatorToken.getStart(ctx.sf));
  const between2 = ctx.text.slice(node.operatorToken.getEnd(), node.right.getStart(ctx.sf));
  const right = ctx.text.slice(node.right.getStart(ctx.sf), node.getEnd());
  const inner = `${wrap(left, leftParens)}${between1}${opText}${between2}${wrap(right, rightParens)}`;
  return { start, end: node.getEnd(), text: wrap(inner, wholeParens) };
}

/** `e` as the left operand of a new additive expression (`e + 1`). */
export function asAdditiveOperand(ctx: SourceContext, e: ts.Expression): string {
  return wrap(nodeText(ctx, e), expressionPrecedence(e) < 13);
}

/** `e` as the operand of a prefix operator (`!e`). */
export function asUnaryOperand(ctx: SourceContext, e: ts.Expression): string {
  return wrap(nodeText(ctx, e), expressionPrecedence(e) < UNARY);
}

/** `e` as the object of a member access (`e.trim()`). */
export function asMemberObject(ctx: SourceContext, e: ts.Expression): string {
  const tight = expressionPrecedence(e) === PRIMARY && !ts.isNumericLiteral(e) && !ts.isObjectLiteralExpression(e) && !ts.isFunctionExpression(e) && !ts.isClassExpression(e) && !ts.isNewExpression(e);
  return wrap(nodeText(ctx, e), !tight);
}

/** Offset of the first character of the line holding `pos`, and that line's indentation. */
export function lineIndent(text: string, pos: number): { lineStart: number; indent: string } {
  const lineStart = text.lastIndexOf("\n", pos - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? "";
  return { lineStart, indent };
}

/** Text of `node` after replacing [start, end) (offsets in the file) with `text`: for descriptions. */
export function textAfter(ctx: SourceContext, node: ts.Node, start: number, end: number, text: string): string {
  const nodeStart = node.getStart(ctx.sf);
  const whole = nodeText(ctx, node);
  return whole.slice(0, start - nodeStart) + text + whole.slice(end - nodeStart);
}

/** A candidate rewriting a binary expression's operator; described by the whole expression. */
export function binaryCandidate(ctx: SourceContext, node: ts.BinaryExpression, newOp: ts.SyntaxKind, operator: OperatorName): Candidate {
  const r = rebuildBinary(ctx, node, newOp);
  const start = node.getStart(ctx.sf);
  return {
    edit: makeEdit(ctx.path, ctx.text, r.start, r.end, r.text, operator, { old: nodeText(ctx, node), new: textAfter(ctx, node, r.start, r.end, r.text) }, start),
    focus: start,
  };
}
