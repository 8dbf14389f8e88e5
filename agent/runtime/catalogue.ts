/**
 * The tool catalogue the model chooses from: every exported function of the tool modules with its
 * signature, its doc comment and a JSON schema for its arguments. Built with TypeScript's parser alone
 * (no type-check, no program): a syntactic read is enough for signatures, and it costs milliseconds.
 */
import ts from "typescript";
import picomatch from "picomatch";
import type { FileMap } from "../../kernel/files.js";

/** One argument of a tool, with the JSON schema its value must match. */
export interface ToolParam {
  name: string;
  optional: boolean;
  schema: Record<string, unknown>;
}

/** A tool as the model sees it. */
export interface ToolSpec {
  /** Export name, which is also the id the sandbox calls it by. */
  id: string;
  /** Workspace-relative file and 1-based line of the declaration ("" and 0 when not found). */
  file: string;
  line: number;
  /** `slugify(title: string): string` */
  signature: string;
  /** The doc comment as one line ("" when there is none). */
  doc: string;
  params: ToolParam[];
  /** True when the arguments could not be read (a re-export, a rest parameter): any JSON array is accepted. */
  loose: boolean;
}

/** Longest string the model may put in one argument: a grammar bound, so a rambling model still closes its JSON. */
export const ARG_STRING_MAX = 400;
const ARRAY_MAX = 32;
const NESTING_MAX = 4;

/** Schema of any JSON value, referenced by parameters whose type the parser cannot map. */
export const JSON_VALUE_DEF = {
  oneOf: [
    { type: "string", maxLength: ARG_STRING_MAX },
    { type: "number" },
    { type: "boolean" },
    { type: "null" },
    { type: "array", items: { $ref: "#/$defs/json" }, maxItems: ARRAY_MAX },
    { type: "object", additionalProperties: { $ref: "#/$defs/json" } },
  ],
};
const ANY: Record<string, unknown> = { $ref: "#/$defs/json" };

type Declarations = Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>;

function hasExport(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** The last `/** ... *\/` comment before a node, as one line. */
function docOf(node: ts.Node, text: string): string {
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  const doc = ranges.filter((r) => text.startsWith("/**", r.pos)).at(-1);
  if (!doc) return "";
  return text
    .slice(doc.pos + 3, doc.end - 2)
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .filter((l) => !l.startsWith("@"))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/** A JSON schema for a TypeScript type node, as far as syntax tells; unknown shapes accept any JSON. */
function schemaOf(type: ts.TypeNode | undefined, decls: Declarations, depth: number): Record<string, unknown> {
  if (!type || depth > NESTING_MAX) return ANY;
  switch (type.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: "string", maxLength: ARG_STRING_MAX };
    case ts.SyntaxKind.NumberKeyword:
      return { type: "number" };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: "boolean" };
    case ts.SyntaxKind.NullKeyword:
      return { type: "null" };
  }
  if (ts.isParenthesizedTypeNode(type)) return schemaOf(type.type, decls, depth);
  if (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword) return schemaOf(type.type, decls, depth);
  if (ts.isArrayTypeNode(type)) return { type: "array", items: schemaOf(type.elementType, decls, depth + 1), maxItems: ARRAY_MAX };
  if (ts.isLiteralTypeNode(type)) {
    const lit = type.literal;
    if (ts.isStringLiteral(lit)) return { const: lit.text };
    if (ts.isNumericLiteral(lit)) return { const: Number(lit.text) };
    if (lit.kind === ts.SyntaxKind.TrueKeyword) return { const: true };
    if (lit.kind === ts.SyntaxKind.FalseKeyword) return { const: false };
    if (lit.kind === ts.SyntaxKind.NullKeyword) return { type: "null" };
  }
  if (ts.isUnionTypeNode(type)) {
    const parts = type.types.map((t) => schemaOf(t, decls, depth));
    if (parts.includes(ANY)) return ANY;
    if (parts.every((p) => "const" in p)) return { enum: parts.map((p) => p.const) };
    return { oneOf: parts };
  }
  if (ts.isTypeLiteralNode(type)) return objectSchema(type.members, decls, depth);
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    const name = type.typeName.text;
    const arg = type.typeArguments?.[0];
    if ((name === "Array" || name === "ReadonlyArray") && arg) return { type: "array", items: schemaOf(arg, decls, depth + 1), maxItems: ARRAY_MAX };
    const decl = decls.get(name);
    if (decl && !decl.typeParameters?.length) {
      return ts.isInterfaceDeclaration(decl) ? objectSchema(decl.members, decls, depth + 1) : schemaOf(decl.type, decls, depth + 1);
    }
  }
  return ANY;
}

function objectSchema(members: ts.NodeArray<ts.TypeElement>, decls: Declarations, depth: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const m of members) {
    if (!ts.isPropertySignature(m) || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) return { type: "object", additionalProperties: ANY };
    properties[m.name.text] = schemaOf(m.type, decls, depth + 1);
    if (!m.questionToken) required.push(m.name.text);
  }
  return { type: "object", properties, required, additionalProperties: false };
}

interface Found {
  file: string;
  line: number;
  name: string;
  params: ts.NodeArray<ts.ParameterDeclaration>;
  returns: ts.TypeNode | undefined;
  doc: string;
  source: ts.SourceFile;
}

function functionsOf(file: string, source: ts.SourceFile, text: string): Found[] {
  const out: Found[] = [];
  const line = (n: ts.Node) => source.getLineAndCharacterOfPosition(n.getStart(source)).line + 1;
  for (const stmt of source.statements) {
    if (!hasExport(stmt)) continue;
    if (ts.isFunctionDeclaration(stmt) && stmt.name) {
      out.push({ file, line: line(stmt), name: stmt.name.text, params: stmt.parameters, returns: stmt.type, doc: docOf(stmt, text), source });
    } else if (ts.isVariableStatement(stmt)) {
      for (const d of stmt.declarationList.declarations) {
        const init = d.initializer;
        if (ts.isIdentifier(d.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
          out.push({ file, line: line(stmt), name: d.name.text, params: init.parameters, returns: init.type, doc: docOf(stmt, text), source });
        }
      }
    }
  }
  return out;
}

/**
 * Specs of the tools `ids` (the export names the sandbox build found), read from the tool modules
 * matching `toolGlobs`. A tool whose declaration the parser cannot read gets a loose spec.
 */
export function toolCatalogue(files: FileMap, ids: readonly string[], toolGlobs: readonly string[] = ["agent/tools/*.ts"]): ToolSpec[] {
  const isTool = picomatch([...toolGlobs]);
  const sources = [...files.entries()]
    .filter(([p]) => p.startsWith("agent/") && p.endsWith(".ts") && !p.endsWith(".d.ts"))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, text]) => ({ file: p, text, source: ts.createSourceFile(p, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS) }));
  const decls: Declarations = new Map();
  for (const { source } of sources) {
    for (const s of source.statements) if ((ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && !decls.has(s.name.text)) decls.set(s.name.text, s);
  }
  const found = new Map<string, Found>();
  for (const { file, text, source } of sources) {
    if (!isTool(file)) continue;
    for (const f of functionsOf(file, source, text)) if (!found.has(f.name)) found.set(f.name, f);
  }
  return [...ids].sort().map((id): ToolSpec => {
    const f = found.get(id);
    if (!f) return { id, file: "", line: 0, signature: `${id}(...args)`, doc: "", params: [], loose: true };
    const loose = f.params.some((p) => p.dotDotDotToken !== undefined || !ts.isIdentifier(p.name));
    const params = f.params.map((p): ToolParam => ({
      name: p.name.getText(f.source),
      optional: p.questionToken !== undefined || p.initializer !== undefined,
      schema: schemaOf(p.type, decls, 0),
    }));
    const shown = f.params.map((p) => `${p.dotDotDotToken ? "..." : ""}${p.name.getText(f.source)}${p.questionToken || p.initializer ? "?" : ""}${p.type ? `: ${p.type.getText(f.source)}` : ""}`);
    const signature = `${id}(${shown.join(", ")})${f.returns ? `: ${f.returns.getText(f.source)}` : ""}`;
    return { id, file: f.file, line: f.line, signature, doc: f.doc, params, loose };
  });
}

/** The catalogue as prompt text: one line per tool. */
export function renderCatalogue(tools: readonly ToolSpec[]): string {
  return tools.map((t) => `- ${t.signature}${t.doc ? ` — ${t.doc}` : ""}`).join("\n");
}
