import { ts } from "ts-morph";
import { enclosingFunction, forEachRuntimeNode, isAnyLike, replaceNode, type Candidate, type Operator } from "./common.js";

const K = ts.SyntaxKind;

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= K.FirstAssignment && kind <= K.LastAssignment;
}

/** The identifier is read as a value: not a declaration name, property name, label or write target. */
function isValueRead(node: ts.Identifier): boolean {
  const parent = node.parent as ts.Node & { name?: ts.Node; propertyName?: ts.Node; label?: ts.Node };
  if (parent.name === node || parent.propertyName === node || parent.label === node) return false;
  if (ts.isShorthandPropertyAssignment(parent) || ts.isQualifiedName(parent) || ts.isMetaProperty(parent)) return false;
  if (ts.isBinaryExpression(parent) && parent.left === node && isAssignmentOperator(parent.operatorToken.kind)) return false;
  if ((ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) && (parent.operator === K.PlusPlusToken || parent.operator === K.MinusMinusToken)) return false;
  if ((ts.isForInStatement(parent) || ts.isForOfStatement(parent)) && parent.initializer === node) return false;
  if (ts.isDeleteExpression(parent)) return false;
  return true;
}

/** let/const/class bindings cannot be read before their declaration in the same function (TDZ). */
function isBlockScoped(decl: ts.Declaration): boolean {
  if (ts.isClassDeclaration(decl)) return true;
  if (ts.isVariableDeclaration(decl) && ts.isVariableDeclarationList(decl.parent)) {
    return (decl.parent.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0;
  }
  if (ts.isBindingElement(decl)) return true;
  return false;
}

function readableAt(decl: ts.Declaration, node: ts.Node, sf: ts.SourceFile): boolean {
  const declStart = decl.getStart(sf);
  const at = node.getStart(sf);
  if (at >= declStart && at < decl.getEnd()) return false; // inside its own declaration or initializer
  if (isBlockScoped(decl) && declStart > at && enclosingFunction(decl) === enclosingFunction(node)) return false;
  return true;
}

const VALUE_TARGET = ts.SymbolFlags.Variable | ts.SymbolFlags.Function;

/**
 * What a replacement must be assignable to: the type the position expects (a parameter, an annotated
 * variable or return) when there is one, else the read's own type with literals widened (`"-"` ->
 * string), so a `const SEP = "-"` read can become another string. Undefined when anything goes (any).
 */
function slotType(checker: ts.TypeChecker, node: ts.Identifier): ts.Type | undefined {
  const contextual = checker.getContextualType(node);
  if (contextual && !isAnyLike(contextual) && !(contextual.flags & ts.TypeFlags.TypeParameter)) return contextual;
  const own = checker.getTypeAtLocation(node);
  return isAnyLike(own) ? undefined : checker.getBaseTypeOfLiteralType(own);
}

/**
 * A read of a local, parameter, module-level or imported value replaced by another name in scope,
 * declared in the same file, whose type is assignable to what that spot needs (see slotType).
 */
export const identifier: Operator = (ctx) => {
  const { checker, sf } = ctx;
  const out: Candidate[] = [];
  forEachRuntimeNode(sf, (node) => {
    if (!ts.isIdentifier(node) || !isValueRead(node)) return;
    const symbol = checker.getSymbolAtLocation(node);
    const declared = symbol?.declarations?.[0];
    if (!symbol || !declared || declared.getSourceFile().isDeclarationFile) return;
    const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (!(resolved.flags & VALUE_TARGET)) return;
    const want = slotType(checker, node);
    if (!want) return;
    const names = new Set<string>();
    for (const candidate of checker.getSymbolsInScope(node, ts.SymbolFlags.Value | ts.SymbolFlags.Alias)) {
      const name = candidate.getName();
      if (candidate === symbol || name === node.text || names.has(name)) continue;
      const decl = candidate.declarations?.[0];
      if (!decl || decl.getSourceFile() !== sf || !readableAt(decl, node, sf)) continue;
      const target = candidate.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(candidate) : candidate;
      if (!(target.flags & VALUE_TARGET) || target === resolved) continue;
      if (ts.isImportSpecifier(decl) && (decl.isTypeOnly || decl.parent.parent.isTypeOnly)) continue;
      const type = checker.getTypeOfSymbolAtLocation(target, node);
      if (isAnyLike(type) || !checker.isTypeAssignableTo(type, want)) continue;
      names.add(name);
      out.push(replaceNode(ctx, node, name, "identifier"));
    }
  });
  return out;
};
