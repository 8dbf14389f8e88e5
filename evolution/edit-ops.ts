/**
 * Edit operations: the structured changes a model proposes, addressed by name rather than by offset
 * (models cannot count characters): replace a function's body, insert or replace statements of a
 * function by index, rewrite a prompt section by its markdown heading, set a parameter by key path,
 * add a tool. `applyEditOps` applies a whole set at the AST level (ts-morph, in memory) or refuses
 * the whole set with the reason: a candidate is never half-applied.
 */
import { modify, applyEdits as applyJsonEdits, parseTree, findNodeAtLocation, type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import { Node, Project, ts, type SourceFile } from "ts-morph";
import { changedPaths, type FileMap } from "../kernel/files.js";
import { findFunction, namedFunctions } from "../snapshots/functions.js";
import { markdownSections, normaliseHeading } from "../snapshots/markdown.js";
import { isTypeScriptPath, toVirtual } from "../kernel/ts-project.js";

/** The operation kinds, in the order the schema lists them. */
export const EDIT_OP_KINDS = ["replace-function-body", "insert-statements", "replace-statements", "edit-prompt-section", "set-param", "add-tool"] as const;
export type EditOpKind = (typeof EDIT_OP_KINDS)[number];

/**
 * One operation. Functions are named `name` (top-level function or `const name = () => ...`) or
 * `Class.method`; statement indexes count the top-level statements of the function's body from 0.
 */
export type EditOp =
  /** `body`: the statements between the braces. */
  | { op: "replace-function-body"; file: string; function: string; body: string }
  /** Insert `code` (statements) before statement `index`; index = statement count appends. */
  | { op: "insert-statements"; file: string; function: string; index: number; code: string }
  /** Replace `count` statements from `index` with `code` (empty code deletes them). */
  | { op: "replace-statements"; file: string; function: string; index: number; count: number; code: string }
  /** Replace the text under a markdown heading ("" = the text before the first heading); the heading line stays. */
  | { op: "edit-prompt-section"; file: string; heading: string; text: string }
  /** Set a scalar in a JSON file; `key` is a dot path ("search.maxResults"). */
  | { op: "set-param"; file: string; key: string; value: number | string | boolean }
  /** Append `code`, one exported function called `name`, to a tools file (created if absent). */
  | { op: "add-tool"; file: string; name: string; code: string };

/** What a model answers: `{ "ops": [...] }`. */
export interface EditOpSet {
  ops: EditOp[];
}

/** Names that exist in the tree; with them the schema offers enums, so a grammar cannot invent them. */
export interface EditTargets {
  codeFiles: string[];
  functions: string[];
  promptFiles: string[];
  headings: string[];
  paramFiles: string[];
  paramKeys: string[];
}

export interface SchemaLimits {
  /** Most operations in one answer (default 4). */
  maxOps?: number;
  /** Longest code or text field, in characters (no limit by default). Small models need one to stop. */
  maxText?: number;
}

const str = (values?: readonly string[]): object => (values && values.length > 0 ? { type: "string", enum: [...values] } : { type: "string" });

/**
 * The JSON schema of an EditOpSet. Only features that node-llama-cpp's grammar, Ollama's `format`
 * and OpenAI's `response_format` all honour: objects whose properties are all required with no
 * others, `const`, `enum`, `oneOf`, arrays with maxItems, strings with maxLength.
 */
export function editOpsSchema(targets?: EditTargets, limits: SchemaLimits = {}): object {
  const text = limits.maxText === undefined ? { type: "string" } : { type: "string", maxLength: limits.maxText };
  const variant = (op: EditOpKind, props: Record<string, object>): object => {
    const properties = { op: { const: op }, ...props };
    return { type: "object", properties, required: Object.keys(properties), additionalProperties: false };
  };
  const code = str(targets?.codeFiles);
  const fn = str(targets?.functions);
  return {
    type: "object",
    properties: {
      ops: {
        type: "array",
        minItems: 1,
        maxItems: limits.maxOps ?? 4,
        items: {
          oneOf: [
            variant("replace-function-body", { file: code, function: fn, body: text }),
            variant("insert-statements", { file: code, function: fn, index: { type: "integer" }, code: text }),
            variant("replace-statements", { file: code, function: fn, index: { type: "integer" }, count: { type: "integer" }, code: text }),
            variant("edit-prompt-section", { file: str(targets?.promptFiles), heading: str(targets?.headings), text }),
            variant("set-param", { file: str(targets?.paramFiles), key: str(targets?.paramKeys), value: { type: ["number", "string", "boolean"] } }),
            variant("add-tool", { file: code, name: { type: "string" }, code: text }),
          ],
        },
      },
    },
    required: ["ops"],
    additionalProperties: false,
  };
}

/** The schema without enums: for callers that validate ops from anywhere. */
export const EDIT_OPS_SCHEMA: object = editOpsSchema();

const isCode = (p: string) => isTypeScriptPath(p) && !p.endsWith(".d.ts");
const isParams = (p: string) => p.endsWith(".json");

/** Scalar leaf key paths of a JSON value ("a.b", "list.0"). */
function leafKeys(value: unknown, prefix = ""): string[] {
  if (value !== null && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
  }
  return prefix ? [prefix] : [];
}

/** Everything an operation on the evolvable files of `files` could name. */
export function editTargets(files: FileMap, evolvable: (path: string) => boolean): EditTargets {
  const paths = [...files.keys()].filter(evolvable).sort();
  const codeFiles = paths.filter(isCode);
  const paramFiles = paths.filter(isParams);
  const promptFiles = paths.filter((p) => !isCode(p) && !isParams(p));
  const project = new Project({ useInMemoryFileSystem: true });
  const functions = new Set<string>();
  for (const p of codeFiles) for (const f of namedFunctions(project.createSourceFile(toVirtual(p), files.get(p) as string))) functions.add(f.name);
  const headings = new Set<string>();
  for (const p of promptFiles) for (const s of markdownSections(files.get(p) as string)) headings.add(s.heading);
  const paramKeys = new Set<string>();
  for (const p of paramFiles) {
    try {
      for (const k of leafKeys(JSON.parse(files.get(p) as string))) paramKeys.add(k);
    } catch {
      // An unparsable params file has no keys to offer; set-param on it reports the parse error.
    }
  }
  return { codeFiles, functions: [...functions].sort(), promptFiles, headings: [...headings].sort(), paramFiles, paramKeys: [...paramKeys].sort() };
}

/** Result of applying a set of operations. */
export type ApplyOpsResult = { ok: true; files: FileMap; changed: string[]; description: string } | { ok: false; reason: string };

class OpError extends Error {}

const FIELDS: Record<EditOpKind, Record<string, "string" | "integer" | "scalar">> = {
  "replace-function-body": { file: "string", function: "string", body: "string" },
  "insert-statements": { file: "string", function: "string", index: "integer", code: "string" },
  "replace-statements": { file: "string", function: "string", index: "integer", count: "integer", code: "string" },
  "edit-prompt-section": { file: "string", heading: "string", text: "string" },
  "set-param": { file: "string", key: "string", value: "scalar" },
  "add-tool": { file: "string", name: "string", code: "string" },
};

/** Throws, naming the operation and field, unless `value` is a well-formed EditOp. */
export function checkEditOp(value: unknown, where: string): asserts value is EditOp {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new OpError(`${where}: expected an object`);
  const record = value as Record<string, unknown>;
  const kind = record.op;
  if (typeof kind !== "string" || !(EDIT_OP_KINDS as readonly string[]).includes(kind)) {
    throw new OpError(`${where}.op: expected one of ${EDIT_OP_KINDS.join(", ")}, got ${JSON.stringify(kind) ?? "nothing"}`);
  }
  for (const [field, type] of Object.entries(FIELDS[kind as EditOpKind])) {
    const v = record[field];
    const ok = type === "string" ? typeof v === "string" : type === "integer" ? Number.isInteger(v) : typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
    const want = type === "string" ? "a string" : type === "integer" ? "an integer" : "a number, string or boolean";
    if (!ok) throw new OpError(`${where}.${field}: expected ${want}, got ${JSON.stringify(v) ?? "nothing"}`);
  }
}

/** One line per operation, for logs, commit messages and attempt records. */
export function describeOp(op: EditOp): string {
  const one = (t: string) => {
    const flat = t.replace(/\s+/g, " ").trim();
    return flat.length <= 50 ? flat : `${flat.slice(0, 49)}…`;
  };
  switch (op.op) {
    case "replace-function-body":
      return `${op.file} ${op.function}: replace body with \`${one(op.body)}\``;
    case "insert-statements":
      return `${op.file} ${op.function}: insert at statement ${op.index} \`${one(op.code)}\``;
    case "replace-statements":
      return `${op.file} ${op.function}: replace statements ${op.index}..${op.index + op.count - 1} with ${op.code.trim() ? `\`${one(op.code)}\`` : "(nothing)"}`;
    case "edit-prompt-section":
      return `${op.file} section "${op.heading}": \`${one(op.text)}\``;
    case "set-param":
      return `${op.file} ${op.key} = ${JSON.stringify(op.value)}`;
    case "add-tool":
      return `${op.file}: add tool ${op.name}`;
  }
}

/** Syntax errors of a piece of TypeScript, as "line:col message" strings. */
function syntaxErrors(text: string, fileName: string): string[] {
  const out = ts.transpileModule(text, { fileName, reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  return (out.diagnostics ?? []).map((d) => {
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${pos ? `${pos.line + 1}:${pos.character + 1} ` : ""}${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

/**
 * Statements as a model wrote them, checked to be only statements: they parse, and wrapped in a
 * function body they stay inside it (a stray `}` cannot smuggle code out to the top level).
 */
function checkStatements(code: string, where: string): number {
  const wrapped = `function __fragment__() {\n${code}\n}\n`;
  const errors = syntaxErrors(wrapped, "fragment.ts");
  if (errors.length > 0) throw new OpError(`${where}: the code does not parse as statements: ${errors.slice(0, 2).join("; ")}`);
  const sf = ts.createSourceFile("fragment.ts", wrapped, ts.ScriptTarget.ES2022, true);
  const only = sf.statements[0];
  if (sf.statements.length !== 1 || !only || !ts.isFunctionDeclaration(only) || !only.body) throw new OpError(`${where}: the code is not a list of statements (it closes the function or adds top-level code)`);
  return only.body.statements.length;
}

function blockOf(sf: SourceFile, file: string, name: string, where: string) {
  const found = findFunction(sf, name);
  if (!found) {
    const names = namedFunctions(sf).map((f) => f.name);
    throw new OpError(`${where}: ${file} has no function "${name}" (it has: ${names.join(", ") || "none"})`);
  }
  const body = found.fn.getBody();
  if (!body || !Node.isBlock(body)) throw new OpError(`${where}: ${file} ${name} has an expression body; use replace-function-body`);
  return { fn: found.fn, body };
}

/** The tree being edited: code files as ts-morph source files, other files as text. */
interface Work {
  project: Project;
  text: Map<string, string>;
  sources: Map<string, SourceFile>;
  evolvable?: (path: string) => boolean;
}

function target(work: Work, file: string, where: string, kind: "code" | "prompt" | "params", create = false): void {
  if (work.evolvable && !work.evolvable(file)) throw new OpError(`${where}: ${file} is not evolvable`);
  const rightKind = kind === "code" ? isCode(file) : kind === "params" ? isParams(file) : !isCode(file) && !isParams(file);
  if (!rightKind) throw new OpError(`${where}: ${file} is not a ${kind === "code" ? "TypeScript" : kind === "params" ? "JSON params" : "prompt"} file`);
  if (!create && !work.text.has(file) && !work.sources.has(file)) throw new OpError(`${where}: no such file ${file}`);
}

function source(work: Work, file: string): SourceFile {
  let sf = work.sources.get(file);
  if (!sf) {
    sf = work.project.createSourceFile(toVirtual(file), work.text.get(file) ?? "", { overwrite: true });
    work.sources.set(file, sf);
  }
  return sf;
}

function applyOne(work: Work, op: EditOp, where: string): void {
  const w = `${where} (${op.op})`;
  switch (op.op) {
    case "replace-function-body": {
      target(work, op.file, w, "code");
      checkStatements(op.body, `${where}.body`);
      const sf = source(work, op.file);
      const found = findFunction(sf, op.function);
      if (!found) throw new OpError(`${w}: ${op.file} has no function "${op.function}" (it has: ${namedFunctions(sf).map((f) => f.name).join(", ") || "none"})`);
      const body = found.fn.getBody();
      if (body && !Node.isBlock(body)) {
        // An arrow with an expression body gets a block first; setBodyText then indents it.
        body.replaceWithText("{}");
        const again = findFunction(sf, op.function);
        if (!again) throw new OpError(`${w}: ${op.file} ${op.function} vanished while its body was replaced`);
        again.fn.setBodyText(op.body.trim());
      } else {
        found.fn.setBodyText(op.body.trim());
      }
      return;
    }
    case "insert-statements": {
      target(work, op.file, w, "code");
      const n = checkStatements(op.code, `${where}.code`);
      if (n === 0) throw new OpError(`${where}.code: no statements to insert`);
      const { body } = blockOf(source(work, op.file), op.file, op.function, w);
      const count = body.getStatements().length;
      if (op.index < 0 || op.index > count) throw new OpError(`${where}.index: ${op.index} is outside 0..${count} (${op.function} has ${count} statements)`);
      body.insertStatements(op.index, op.code.trim());
      return;
    }
    case "replace-statements": {
      target(work, op.file, w, "code");
      checkStatements(op.code, `${where}.code`);
      const { body } = blockOf(source(work, op.file), op.file, op.function, w);
      const count = body.getStatements().length;
      if (op.count < 1) throw new OpError(`${where}.count: expected at least 1, got ${op.count}`);
      if (op.index < 0 || op.index + op.count > count) throw new OpError(`${w}: statements ${op.index}..${op.index + op.count - 1} are outside 0..${count - 1} (${op.function} has ${count} statements)`);
      body.removeStatements([op.index, op.index + op.count - 1]);
      if (op.code.trim()) body.insertStatements(op.index, op.code.trim());
      return;
    }
    case "edit-prompt-section":
      return editPromptSection(work, op, where, w);
    case "set-param":
      return setParam(work, op, where, w);
    case "add-tool":
      return addTool(work, op, where, w);
  }
}

type OpOf<K extends EditOpKind> = Extract<EditOp, { op: K }>;

function editPromptSection(work: Work, op: OpOf<"edit-prompt-section">, where: string, w: string): void {
  target(work, op.file, w, "prompt");
  const text = work.text.get(op.file) as string;
  const sections = markdownSections(text);
  const wanted = normaliseHeading(op.heading);
  const s = sections.find((x) => normaliseHeading(x.heading) === wanted);
  if (!s) throw new OpError(`${where}.heading: ${op.file} has no section "${op.heading}" (it has: ${sections.map((x) => JSON.stringify(x.heading)).join(", ")})`);
  const next = s.end < text.length;
  const body = op.text.trim() === "" ? "" : `${op.text.trim()}\n${next ? "\n" : ""}`;
  work.text.set(op.file, text.slice(0, s.bodyStart) + body + text.slice(s.end));
}

function setParam(work: Work, op: OpOf<"set-param">, where: string, w: string): void {
  target(work, op.file, w, "params");
  const text = work.text.get(op.file) as string;
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true });
  const firstError = errors[0];
  if (firstError) throw new OpError(`${w}: ${op.file} is not valid JSON (${printParseErrorCode(firstError.error)} at offset ${firstError.offset})`);
  const path = op.key.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  if (op.key.trim() === "" || path.some((k) => k === "")) throw new OpError(`${where}.key: "${op.key}" is not a dot path such as "search.maxResults"`);
  const root = parseTree(text);
  const existing = root ? findNodeAtLocation(root, path) : undefined;
  if (existing) {
    if (existing.type === "object" || existing.type === "array") throw new OpError(`${where}.key: ${op.file} ${op.key} is an ${existing.type}, not a number, string or boolean`);
    if (existing.type !== typeof op.value) throw new OpError(`${where}.value: ${op.file} ${op.key} is a ${existing.type}; refusing to make it a ${typeof op.value}`);
  } else {
    const parent = root && path.length > 1 ? findNodeAtLocation(root, path.slice(0, -1)) : root;
    if (!parent || parent.type !== "object") throw new OpError(`${where}.key: ${op.file} has no object at "${path.slice(0, -1).join(".") || "(root)"}" to add "${String(path.at(-1))}" to`);
  }
  const edits = modify(text, path, op.value, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" } });
  work.text.set(op.file, applyJsonEdits(text, edits));
}

function addTool(work: Work, op: OpOf<"add-tool">, where: string, w: string): void {
  target(work, op.file, w, "code", true);
  if (!/^[A-Za-z_$][\w$]*$/.test(op.name)) throw new OpError(`${where}.name: "${op.name}" is not an identifier`);
  const errors = syntaxErrors(op.code, "tool.ts");
  if (errors.length > 0) throw new OpError(`${where}.code: does not parse: ${errors.slice(0, 2).join("; ")}`);
  const parsed = new Project({ useInMemoryFileSystem: true }).createSourceFile("/tool.ts", op.code);
  const fns = namedFunctions(parsed);
  const only = fns[0];
  if (parsed.getStatements().length !== 1 || fns.length !== 1 || !only || only.name !== op.name || !only.exported) {
    throw new OpError(`${where}.code: expected exactly one exported function named ${op.name}`);
  }
  const sf = source(work, op.file);
  const taken = sf.getStatements().some((st) => (Node.isFunctionDeclaration(st) || Node.isClassDeclaration(st) || Node.isInterfaceDeclaration(st) || Node.isTypeAliasDeclaration(st) || Node.isEnumDeclaration(st)) && st.getName() === op.name) || sf.getVariableDeclaration(op.name) !== undefined || sf.getImportDeclarations().some((d) => d.getNamedImports().some((n) => (n.getAliasNode()?.getText() ?? n.getName()) === op.name));
  if (taken) throw new OpError(`${where}.name: ${op.file} already declares ${op.name}`);
  const before = sf.getFullText().trimEnd();
  sf.replaceWithText(`${before}${before ? "\n\n" : ""}${op.code.trim()}\n`);
}

/**
 * Apply `ops` in order (each sees the result of the ones before) to a copy of `files`. Any op that
 * fails, or a result with a syntax error, refuses the whole set with the reason. With `evolvable`,
 * ops on other files are refused.
 */
export function applyEditOps(files: FileMap, ops: readonly unknown[], options: { evolvable?: (path: string) => boolean } = {}): ApplyOpsResult {
  if (!Array.isArray(ops) || ops.length === 0) return { ok: false, reason: "no operations" };
  const work: Work = {
    project: new Project({ useInMemoryFileSystem: true, manipulationSettings: { indentationText: "  " as never } }),
    text: new Map(files),
    sources: new Map(),
    ...(options.evolvable ? { evolvable: options.evolvable } : {}),
  };
  const descriptions: string[] = [];
  try {
    ops.forEach((op, i) => {
      const where = `ops[${i}]`;
      checkEditOp(op, where);
      try {
        applyOne(work, op, where);
      } catch (err) {
        if (err instanceof OpError) throw err;
        // ts-morph refuses manipulations that would leave a syntax error; report it as this op's fault.
        throw new OpError(`${where} (${op.op}): ${(err as Error).message.split("\n")[0]}`);
      }
      descriptions.push(describeOp(op));
    });
    for (const [file, sf] of work.sources) {
      const text = sf.getFullText();
      const errors = syntaxErrors(text, file);
      if (errors.length > 0) throw new OpError(`${file}: the edited file does not parse: ${errors.slice(0, 2).join("; ")}`);
      work.text.set(file, text);
    }
  } catch (err) {
    if (err instanceof OpError) return { ok: false, reason: err.message };
    throw err;
  }
  const changed = changedPaths(files, work.text);
  if (changed.length === 0) return { ok: false, reason: "the operations change nothing" };
  return { ok: true, files: work.text, changed, description: descriptions.join("; ") };
}
