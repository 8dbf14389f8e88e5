import { ts } from "ts-morph";
import { makeEdit, type OperatorName } from "../edits.js";
import {
  declaredNames,
  identifierTexts,
  isDeclarationStatement,
  isFunctionWithBody,
  isJump,
  lineIndent,
  nodeText,
  statementLists,
  type Candidate,
  type Operator,
  type SourceContext,
  type StatementList,
} from "./common.js";

/** The statement is alone on its line(s): edits can then take or give whole lines and keep the layout. */
function ownsLines(ctx: SourceContext, s: ts.Statement): boolean {
  const start = s.getStart(ctx.sf);
  const { lineStart } = lineIndent(ctx.text, start);
  const lineEnd = ctx.text.indexOf("\n", s.getEnd());
  const after = ctx.text.slice(s.getEnd(), lineEnd === -1 ? ctx.text.length : lineEnd);
  return ctx.text.slice(lineStart, start).trim() === "" && after.trim() === "";
}

/** Text to insert after `anchor` so that `text` reads as the next statement. */
function insertionAfter(ctx: SourceContext, anchor: ts.Statement, text: string): string {
  if (!ownsLines(ctx, anchor)) return ` ${text}`;
  return `\n${lineIndent(ctx.text, anchor.getStart(ctx.sf)).indent}${text}`;
}

/** A candidate inserting `text` as the statement after `anchor`. */
export function insertCandidate(ctx: SourceContext, anchor: ts.Statement, text: string, operator: OperatorName): Candidate {
  const at = anchor.getEnd();
  const anchorText = nodeText(ctx, anchor);
  const edit = makeEdit(ctx.path, ctx.text, at, at, insertionAfter(ctx, anchor, text), operator, { old: anchorText, new: `${anchorText} ${text}` }, anchor.getStart(ctx.sf));
  return { edit, focus: anchor.getStart(ctx.sf) };
}

const isEmpty = (s: ts.Statement): boolean => ts.isEmptyStatement(s);

/** Statements removed (whole lines when the statement owns them); declarations are kept. */
export const statementDelete: Operator = (ctx) => {
  const out: Candidate[] = [];
  for (const list of statementLists(ctx.sf)) {
    for (const s of list.statements) {
      if (isDeclarationStatement(s) || isEmpty(s)) continue;
      const start = s.getStart(ctx.sf);
      let from = start;
      let to = s.getEnd();
      if (ownsLines(ctx, s)) {
        from = lineIndent(ctx.text, start).lineStart;
        const nl = ctx.text.indexOf("\n", to);
        to = nl === -1 ? ctx.text.length : nl + 1;
      }
      out.push({ edit: makeEdit(ctx.path, ctx.text, from, to, "", "statement-delete", { old: nodeText(ctx, s), new: "" }, start), focus: start });
    }
  }
  return out;
};

/** A statement repeated right after itself (not declarations, not jumps: a copy after a jump never runs). */
export const statementDuplicate: Operator = (ctx) => {
  const out: Candidate[] = [];
  for (const list of statementLists(ctx.sf)) {
    for (const s of list.statements) {
      if (isDeclarationStatement(s) || isJump(s) || isEmpty(s)) continue;
      out.push(insertCandidate(ctx, s, nodeText(ctx, s), "statement-duplicate"));
    }
  }
  return out;
};

/** Adjacent statements exchanged, unless the second needs what the first declares or jumps away. */
export const statementSwap: Operator = (ctx) => {
  const out: Candidate[] = [];
  for (const list of statementLists(ctx.sf)) {
    for (let i = 0; i + 1 < list.statements.length; i++) {
      const a = list.statements[i] as ts.Statement;
      const b = list.statements[i + 1] as ts.Statement;
      if (isEmpty(a) || isEmpty(b) || isJump(b)) continue;
      if ([a, b].some((s) => ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s))) continue;
      const declared = declaredNames(a);
      if (declared.size > 0) {
        const used = identifierTexts(b);
        if ([...declared].some((n) => used.has(n))) continue;
      }
      const aText = nodeText(ctx, a);
      const bText = nodeText(ctx, b);
      if (aText === bText) continue;
      const start = a.getStart(ctx.sf);
      const between = ctx.text.slice(a.getEnd(), b.getStart(ctx.sf));
      const edit = makeEdit(ctx.path, ctx.text, start, b.getEnd(), `${bText}${between}${aText}`, "statement-swap", { old: `${aText} ${bText}`, new: `${bText} ${aText}` });
      out.push({ edit, focus: start });
    }
  }
  return out;
};

/** Names a statement reads that are declared inside its own function (outside the statement itself). */
function localNames(ctx: SourceContext, s: ts.Statement, owner: ts.Node): Set<string> {
  const out = new Set<string>();
  const ownerStart = owner.getStart(ctx.sf);
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const decl = ctx.checker.getSymbolAtLocation(n)?.declarations?.[0];
      if (decl && decl.getSourceFile() === ctx.sf) {
        const d = decl.getStart(ctx.sf);
        const insideOwner = d >= ownerStart && d < owner.getEnd();
        const insideStatement = d >= s.getStart(ctx.sf) && d < s.getEnd();
        if (insideOwner && !insideStatement) out.add(n.text);
      }
    }
    ts.forEachChild(n, walk);
  };
  walk(s);
  return out;
}

/** What a statement needs from the function it runs in. */
export interface Requirements {
  yields: boolean;
  awaits: boolean;
  /** The class whose `this` it reads, or null when it reads no `this`. */
  thisClass: ts.Node | null | "none";
  /** A break/continue whose target lies outside the statement. */
  escapes: boolean;
}

/** Nearest non-arrow function-like ancestor: arrows see their parent's `this`. */
function thisOwner(node: ts.Node): ts.Node | undefined {
  for (let cur: ts.Node | undefined = node.parent; cur; cur = cur.parent) {
    if (isFunctionWithBody(cur) && !ts.isArrowFunction(cur)) return cur;
  }
  return undefined;
}

/** The class whose instance or constructor `this` means at `node`, or "none" (plain function or module). */
function thisClassAt(node: ts.Node): ts.Node | "none" {
  const owner = thisOwner(node);
  const cls = owner?.parent;
  return owner && cls && ts.isClassLike(cls) ? cls : "none";
}

export function requirements(s: ts.Statement): Requirements {
  const req: Requirements = { yields: false, awaits: false, thisClass: null, escapes: false };
  const walk = (n: ts.Node, loops: number, switches: number, labels: readonly string[]): void => {
    if (isFunctionWithBody(n) && !ts.isArrowFunction(n)) return;
    if (ts.isArrowFunction(n)) {
      // An arrow keeps `this` but has its own yield/await/jump context: only look for `this`.
      const findThis = (m: ts.Node): void => {
        if (m.kind === ts.SyntaxKind.ThisKeyword && req.thisClass === null) req.thisClass = thisClassAt(m);
        if (!(isFunctionWithBody(m) && !ts.isArrowFunction(m))) ts.forEachChild(m, findThis);
      };
      ts.forEachChild(n, findThis);
      return;
    }
    if (ts.isYieldExpression(n)) req.yields = true;
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) req.awaits = true;
    if (n.kind === ts.SyntaxKind.ThisKeyword && req.thisClass === null) req.thisClass = thisClassAt(n);
    if (ts.isBreakStatement(n) || ts.isContinueStatement(n)) {
      if (n.label) req.escapes ||= !labels.includes(n.label.text);
      else req.escapes ||= ts.isBreakStatement(n) ? loops + switches === 0 : loops === 0;
    }
    const isLoop = ts.isIterationStatement(n, false);
    const nextLabels = ts.isLabeledStatement(n) ? [...labels, n.label.text] : labels;
    ts.forEachChild(n, (c) => walk(c, loops + (isLoop ? 1 : 0), switches + (ts.isSwitchStatement(n) ? 1 : 0), nextLabels));
  };
  walk(s, 0, 0, []);
  return req;
}

/** Whether a statement with these requirements can run inside the function that owns `at`. */
function fits(req: Requirements, at: ts.Statement, owner: ts.Node): boolean {
  if (req.escapes) return false;
  const fn = owner as ts.FunctionLikeDeclaration;
  if (req.yields && !(ts.isFunctionLike(owner) && fn.asteriskToken)) return false;
  if (req.awaits) {
    const modifiers = ts.canHaveModifiers(owner) ? ts.getModifiers(owner) : undefined;
    if (!modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return false;
  }
  if (req.thisClass !== null && req.thisClass !== thisClassAt(at)) return false;
  return true;
}

/** A copied `return e;` must return what the destination function declares (generators and static blocks take none). */
function returnFits(ctx: SourceContext, ret: ts.ReturnStatement, owner: ts.Node): boolean {
  if (!ts.isFunctionLike(owner) || (owner as ts.FunctionLikeDeclaration).asteriskToken) return false;
  const signature = ctx.checker.getSignatureFromDeclaration(owner);
  if (!signature) return false;
  let want = signature.getReturnType();
  const modifiers = ts.canHaveModifiers(owner) ? ts.getModifiers(owner) : undefined;
  if (modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) want = ctx.checker.getAwaitedType(want) ?? want;
  const got = ret.expression ? ctx.checker.getTypeAtLocation(ret.expression) : ctx.checker.getUndefinedType();
  return ctx.checker.isTypeAssignableTo(got, want) || (want.flags & ts.TypeFlags.Void) !== 0;
}

/**
 * A statement of another function in the same file inserted after a statement, when every local
 * name it reads has a namesake in scope at the new place and its yield/await/this/break needs are met.
 */
export const statementCopy: Operator = (ctx) => {
  const lists = statementLists(ctx.sf);
  const sources: { text: string; owner: ts.Node; needs: Set<string>; req: Requirements; returns?: ts.ReturnStatement }[] = [];
  const seenText = new Set<string>();
  for (const list of lists) {
    for (const s of list.statements) {
      if (isDeclarationStatement(s) || isEmpty(s)) continue;
      const req = requirements(s);
      if (req.escapes) continue;
      const text = nodeText(ctx, s);
      if (seenText.has(text)) continue;
      seenText.add(text);
      sources.push({ text, owner: list.owner, needs: localNames(ctx, s, list.owner), req, ...(ts.isReturnStatement(s) ? { returns: s } : {}) });
    }
  }
  const out: Candidate[] = [];
  for (const list of lists as StatementList[]) {
    list.statements.forEach((d, i) => {
      if (isJump(d) || isEmpty(d)) return;
      let inScope: Set<string> | undefined;
      const next = list.statements[i + 1];
      const neighbours = new Set([nodeText(ctx, d), next ? nodeText(ctx, next) : ""]);
      for (const src of sources) {
        if (src.owner === list.owner || neighbours.has(src.text) || !fits(src.req, d, list.owner)) continue;
        if (src.returns && !returnFits(ctx, src.returns, list.owner)) continue;
        if (src.needs.size > 0) {
          // Scope of the list, not of `d`: a for statement's own `let i` is not visible after it.
          inScope ??= new Set(ctx.checker.getSymbolsInScope(d.parent, ts.SymbolFlags.Value | ts.SymbolFlags.Alias).map((s) => s.getName()));
          const scope = inScope;
          if (![...src.needs].every((n) => scope.has(n))) continue;
        }
        out.push(insertCandidate(ctx, d, src.text, "statement-copy"));
      }
    });
  }
  return out;
};
