import type { ts } from "ts-morph";
import type { FileMap } from "../kernel/files.js";
import { OPERATOR_NAMES, type Edit, type OperatorName } from "./edits.js";
import { arithmetic, comparison, logical } from "./operators/binary.js";
import { boundary } from "./operators/boundary.js";
import type { Candidate, Operator, SourceContext } from "./operators/common.js";
import { negateCondition } from "./operators/condition.js";
import { identifier } from "./operators/identifier.js";
import { literal } from "./operators/literal.js";
import { statementCopy, statementDelete, statementDuplicate, statementSwap } from "./operators/statements.js";
import { compoundAssignment } from "./operators/compound.js";
import { offByOne } from "./operators/off-by-one.js";
import { access } from "./operators/access.js";
import { callArguments } from "./operators/arguments.js";
import { siblingMethod } from "./operators/siblings.js";
import { insertJump } from "./operators/jumps.js";
import { insertGuard } from "./operators/guards.js";
import { statementInsert } from "./operators/insert.js";
import { loopDirection } from "./operators/loops.js";
import { returnValue, returnVariable } from "./operators/returns.js";
import { paramEdits } from "./params.js";
import type { Rng } from "./rng.js";
import { createMemoryProject, isTypeScriptPath, toVirtual } from "../kernel/ts-project.js";

const SOURCE_OPERATORS: Record<Exclude<OperatorName, "param-adjust">, Operator> = {
  arithmetic,
  boundary,
  comparison,
  logical,
  literal,
  identifier,
  "negate-condition": negateCondition,
  "statement-delete": statementDelete,
  "statement-duplicate": statementDuplicate,
  "statement-swap": statementSwap,
  "statement-copy": statementCopy,
  "return-value": returnValue,
  "compound-assignment": compoundAssignment,
  "off-by-one": offByOne,
  access,
  "call-arguments": callArguments,
  "sibling-method": siblingMethod,
  "insert-jump": insertJump,
  "insert-guard": insertGuard,
  "statement-insert": statementInsert,
  "loop-direction": loopDirection,
  "return-variable": returnVariable,
};

/** The base tree parsed and type-checked once, ready for every operator. */
export interface Analysis {
  files: FileMap;
  /** Program over every TypeScript file of the tree (types come from all of them, edits only go to evolvable ones). */
  program: ts.Program;
  checker: ts.TypeChecker;
  /** Evolvable TypeScript files, sorted by path: the only files source operators edit. */
  sources: readonly SourceContext[];
  /** Evolvable JSON files (agent/params.json): the files param-adjust edits. */
  params: readonly { path: string; text: string }[];
  /** Candidates per operator, computed on first use: enumerating again with other weights is cheap. */
  readonly cache: Map<OperatorName, Candidate[]>;
}

/**
 * Parse the tree and bind the type checker; the cost is paid once per base tree. Pass the base
 * program of a TypeChecker over the same files (`checker.program()`) to share its parse and binding
 * instead of building a second program.
 */
export function analyse(
  files: FileMap,
  isEvolvable: (path: string) => boolean,
  options: { compilerOptions?: object; program?: ts.Program } = {},
): Analysis {
  const program = options.program ?? createMemoryProject(files, options.compilerOptions).getProgram().compilerObject;
  const checker = program.getTypeChecker();
  const sources: SourceContext[] = [];
  const params: { path: string; text: string }[] = [];
  for (const path of [...files.keys()].sort()) {
    if (!isEvolvable(path)) continue;
    const text = files.get(path) as string;
    if (isTypeScriptPath(path) && !path.endsWith(".d.ts")) {
      const sf = program.getSourceFile(toVirtual(path));
      if (sf && sf.text !== text) throw new Error(`analyse: ${path}: the program given was built from another version of this file`);
      if (sf) sources.push({ path, text, sf, checker });
    } else if (path.endsWith(".json")) {
      params.push({ path, text });
    }
  }
  return { files, program, checker, sources, params, cache: new Map() };
}

function candidatesFor(analysis: Analysis, operator: OperatorName): Candidate[] {
  const cached = analysis.cache.get(operator);
  if (cached) return cached;
  let out: Candidate[];
  if (operator === "param-adjust") {
    out = analysis.params.flatMap((p) => paramEdits(p.path, p.text).map((edit) => ({ edit, focus: edit.start })));
  } else {
    const op = SOURCE_OPERATORS[operator];
    out = analysis.sources.flatMap((ctx) => op(ctx));
  }
  analysis.cache.set(operator, out);
  return out;
}

/**
 * Every candidate edit over evolvable files. No-ops and duplicates (same file, range and text; the
 * operator earlier in OPERATOR_NAMES keeps it) are dropped. Ordered by `weight(file, offset)` of
 * where each edit lands, most suspicious first; ties in an order fixed by `rng`.
 */
export function enumerateEdits(
  analysis: Analysis,
  options: { operators?: readonly OperatorName[]; weight?: (file: string, offset: number) => number; rng: Rng },
): Edit[] {
  const wanted = new Set(options.operators ?? OPERATOR_NAMES);
  for (const name of wanted) {
    if (!OPERATOR_NAMES.includes(name)) throw new Error(`enumerateEdits: unknown operator "${name}" (known: ${OPERATOR_NAMES.join(", ")})`);
  }
  const seen = new Set<string>();
  const unique: Candidate[] = [];
  for (const name of OPERATOR_NAMES) {
    if (!wanted.has(name)) continue;
    for (const c of candidatesFor(analysis, name)) {
      const { file, start, end, text } = c.edit;
      if (analysis.files.get(file)?.slice(start, end) === text) continue;
      const key = `${file}\0${start}\0${end}\0${text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      unique.push(c);
    }
  }
  const weight = options.weight;
  const ranked = options.rng.shuffle(unique).map((c, order) => {
    const w = weight ? weight(c.edit.file, c.focus) : 0;
    return { edit: c.edit, w: Number.isFinite(w) ? w : 0, order };
  });
  ranked.sort((a, b) => b.w - a.w || a.order - b.order);
  return ranked.map((r) => r.edit);
}
