import git from "isomorphic-git";
import { parse as parseLenient, printParseErrorCode, type ParseError } from "jsonc-parser";
import { fs, gitCache, gitdirOf, makeObject, updateRef, writeObjects } from "./fs.js";
import { commitObject, formatIdentity, type Identity } from "./objects.js";
import { readRef, resolveRef } from "./read-tree.js";
import { isTree, readCommitTree, readTreeEntries, serializeTree, type TreeEntry } from "./tree-hash.js";

/** The notes ref holding rejected candidates (`git notes --ref=evolve-attempts show <commit>`). */
export const ATTEMPTS_REF = "refs/notes/evolve-attempts";

/** One rejected candidate, recorded on the commit it was proposed against. */
export interface AttemptRecord {
  /** The generation the candidate would have become. */
  generation: number;
  /** Base commit id. */
  base: string;
  /** The candidate's tree id (see candidateTreeOid); it was never committed. */
  tree: string;
  operator: string;
  proposer: string;
  description: string;
  /** Unified diff base -> candidate (see unifiedDiff). */
  diff: string;
  score: number | null;
  holdout: number | null;
  /** One line: why the candidate was rejected. */
  reason: string;
  metrics: Record<string, unknown>;
  /** ISO 8601 time of the evaluation. */
  at: string;
}

type FieldKind = "integer" | "string" | "number|null" | "object";
const DESCRIBE: Record<FieldKind, string> = {
  integer: "an integer",
  string: "a string",
  "number|null": "a finite number or null",
  object: "an object",
};
const FIELDS: ReadonlyArray<readonly [keyof AttemptRecord, FieldKind]> = [
  ["generation", "integer"],
  ["base", "string"],
  ["tree", "string"],
  ["operator", "string"],
  ["proposer", "string"],
  ["description", "string"],
  ["diff", "string"],
  ["score", "number|null"],
  ["holdout", "number|null"],
  ["reason", "string"],
  ["metrics", "object"],
  ["at", "string"],
];

/** Throw, naming `where` and the field, unless `value` has every AttemptRecord field with the right type. */
export function checkAttempt(value: unknown, where: string): asserts value is AttemptRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object`);
  const record = value as Record<string, unknown>;
  for (const [field, kind] of FIELDS) {
    const v = record[field];
    const ok =
      kind === "integer" ? Number.isInteger(v)
      : kind === "string" ? typeof v === "string"
      : kind === "number|null" ? v === null || (typeof v === "number" && Number.isFinite(v))
      : typeof v === "object" && v !== null && !Array.isArray(v);
    if (!ok) throw new Error(`${where}.${field}: expected ${DESCRIBE[kind]}, got ${JSON.stringify(v) ?? "nothing"}`);
  }
}

/**
 * Add `attempts` to the note on `base` (one notes commit per call, none for an empty list).
 * The note is pretty JSON `{ "attempts": [...] }`, older records first.
 */
export async function appendAttempts(
  dir: string,
  base: string,
  attempts: readonly AttemptRecord[],
  options: { author?: Identity } = {},
): Promise<void> {
  attempts.forEach((attempt, i) => checkAttempt(attempt, `appendAttempts: attempts[${i}]`));
  if (attempts.length === 0) return;
  const commit = await resolveRef(dir, base);
  const gitdir = await gitdirOf(dir);
  const tip = await readRef(dir, ATTEMPTS_REF);
  const notes = tip ? await readNotes(dir, tip) : new Map<string, string>();
  const existing = notes.has(commit) ? await readNote(dir, commit, notes.get(commit) as string) : [];
  const blob = makeObject("blob", Buffer.from(`${JSON.stringify({ attempts: [...existing, ...attempts] }, null, 2)}\n`, "utf8"));
  notes.set(commit, blob.oid);
  // Written flat (one entry per annotated commit); native git reads flat and fan-out trees alike.
  const entries: TreeEntry[] = [...notes].map(([name, oid]) => ({ mode: "100644", name, oid }));
  const tree = makeObject("tree", serializeTree(entries));
  const message = `evolve: record ${attempts.length} attempt${attempts.length === 1 ? "" : "s"} on ${commit.slice(0, 12)}\n`;
  const noteCommit = commitObject(tree.oid, tip ? [tip] : [], formatIdentity(options.author), message);
  await writeObjects(gitdir, [blob, tree, noteCommit]);
  await updateRef(gitdir, ATTEMPTS_REF, noteCommit.oid, tip ?? null, () => readRef(dir, ATTEMPTS_REF));
}

/** The attempts recorded on `base`, or on every commit if `base` is undefined (ordered by generation, then time). */
export async function readAttempts(dir: string, base?: string): Promise<AttemptRecord[]> {
  const tip = await readRef(dir, ATTEMPTS_REF);
  if (!tip) return [];
  const notes = await readNotes(dir, tip);
  if (base !== undefined) {
    const commit = await resolveRef(dir, base);
    const blob = notes.get(commit);
    return blob ? readNote(dir, commit, blob) : [];
  }
  const all: AttemptRecord[] = [];
  for (const [commit, blob] of notes) all.push(...(await readNote(dir, commit, blob)));
  return all.sort((a, b) => a.generation - b.generation || (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Annotated commit id -> note blob id, from a notes commit (flat or fanned out as `ab/cdef...`). */
async function readNotes(dir: string, notesCommit: string): Promise<Map<string, string>> {
  const { tree } = await readCommitTree(dir, notesCommit);
  const out = new Map<string, string>();
  const walk = async (oid: string, prefix: string): Promise<void> => {
    for (const entry of await readTreeEntries(dir, oid)) {
      const name = prefix + entry.name;
      if (isTree(entry)) await walk(entry.oid, name);
      else if (/^[0-9a-f]{40}$/.test(name)) out.set(name, entry.oid);
    }
  };
  await walk(tree, "");
  return out;
}

async function readNote(dir: string, commit: string, blob: string): Promise<AttemptRecord[]> {
  const where = `${ATTEMPTS_REF}, note on ${commit}`;
  const { blob: bytes } = await git.readBlob({ fs, dir, oid: blob, cache: gitCache });
  const text = Buffer.from(bytes).toString("utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: ${locateJsonError(text, (error as Error).message)}`);
  }
  const attempts = (data as { attempts?: unknown } | null)?.attempts;
  if (!Array.isArray(attempts)) throw new Error(`${where}: line 1: expected {"attempts": [...]}`);
  attempts.forEach((attempt, i) => checkAttempt(attempt, `${where}: attempts[${i}]`));
  return attempts as AttemptRecord[];
}

// JSON.parse on Node 20 often names no position; jsonc-parser (strict options) gives an offset.
function locateJsonError(text: string, fallback: string): string {
  const errors: ParseError[] = [];
  parseLenient(text, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  if (!first) return `invalid JSON: ${fallback}`;
  const before = text.slice(0, first.offset).split("\n");
  const column = (before[before.length - 1] ?? "").length + 1;
  return `line ${before.length}, column ${column}: invalid JSON: ${printParseErrorCode(first.error)}`;
}
