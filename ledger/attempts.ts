import git from "isomorphic-git";
import { errorMessage, EvolveError } from "../kernel/errors.js";
import { parse as parseLenient, printParseErrorCode, type ParseError } from "jsonc-parser";
import { fs, gitCache, gitdirOf, makeObject, updateRef, writeObjects, type GitObject } from "./fs.js";
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
 * How many rejected attempts the notes ref keeps; 0 in a field means no limit there. Without a
 * retention every append adds a notes commit on top of the previous one, so every version of
 * every note stays reachable; with one, the ref is rewritten as a single parentless commit holding
 * only what is kept, and what was dropped (old notes and old versions alike) is left unreachable
 * for `git gc` to remove. The repository then holds at most `bases` notes of at most `perBase`
 * attempts each, however long evolution runs.
 */
export interface AttemptsRetention {
  /** Keep the notes of the newest N base commits, newest by the time (`at`) of their latest attempt. */
  readonly bases: number;
  /** Keep at most this many attempts per base commit, the latest appended. */
  readonly perBase: number;
}

/** What a write to the notes ref did. */
export interface AttemptsWrite {
  /** The new notes commit, or null when nothing was written. */
  readonly commit: string | null;
  /** Base commits whose note was dropped by the retention, sorted. */
  readonly droppedBases: string[];
  /** Attempts dropped in all (whole notes and per-base trimming). */
  readonly droppedAttempts: number;
  /** Base commits that keep a note. */
  readonly keptBases: number;
}

/**
 * Add `attempts` to the note on `base` (one notes commit per call, none for an empty list).
 * The note is pretty JSON `{ "attempts": [...] }`, older records first. With `retention`, the
 * notes ref is rewritten as one parentless commit holding only what the retention keeps (see
 * AttemptsRetention).
 */
export async function appendAttempts(
  dir: string,
  base: string,
  attempts: readonly AttemptRecord[],
  options: { author?: Identity; retention?: AttemptsRetention } = {},
): Promise<AttemptsWrite> {
  attempts.forEach((attempt, i) => checkAttempt(attempt, `appendAttempts: attempts[${i}]`));
  if (options.retention !== undefined) checkRetention(options.retention, "appendAttempts: retention");
  const tip = await readRef(dir, ATTEMPTS_REF);
  if (attempts.length === 0) return { commit: null, droppedBases: [], droppedAttempts: 0, keptBases: tip ? (await readNotes(dir, tip)).size : 0 };
  const commit = await resolveRef(dir, base);
  const notes = tip ? await readNotes(dir, tip) : new Map<string, string>();
  const existing = notes.has(commit) ? await readNote(dir, commit, notes.get(commit) as string) : [];
  const message = `evolve: record ${attempts.length} attempt${attempts.length === 1 ? "" : "s"} on ${commit.slice(0, 12)}`;
  if (options.retention === undefined) {
    const blob = noteBlob([...existing, ...attempts]);
    notes.set(commit, blob.oid);
    const written = await writeNotes(dir, tip, notes, [blob], [tip], message, options.author);
    return { commit: written, droppedBases: [], droppedAttempts: 0, keptBases: notes.size };
  }
  // Only the appended note is rewritten; the others keep their blobs and are read only when
  // there are more bases than the retention keeps and the oldest must be found.
  const { bases, perBase } = options.retention;
  const list = [...existing, ...attempts];
  const kept = perBase === 0 ? list : list.slice(-perBase);
  let droppedAttempts = list.length - kept.length;
  const blob = noteBlob(kept);
  notes.set(commit, blob.oid);
  const droppedBases: string[] = [];
  if (bases > 0 && notes.size > bases) {
    const records = await readAll(dir, new Map([...notes].filter(([other]) => other !== commit)));
    records.set(commit, kept);
    for (const base of newestFirst(records).slice(bases)) {
      droppedAttempts += records.get(base)?.length ?? 0;
      droppedBases.push(base);
      notes.delete(base);
    }
  }
  const written = await writeNotes(dir, tip, notes, [blob], [], withSummary(message, options.retention, droppedAttempts, droppedBases.length), options.author);
  return { commit: written, droppedBases: droppedBases.sort(), droppedAttempts, keptBases: notes.size };
}

/**
 * Apply `retention` to the notes ref now. Writes a new (parentless) notes commit when something
 * is dropped or the ref still carries older notes commits; otherwise writes nothing.
 */
export async function pruneAttempts(dir: string, retention: AttemptsRetention, options: { author?: Identity } = {}): Promise<AttemptsWrite> {
  checkRetention(retention, "pruneAttempts: retention");
  const tip = await readRef(dir, ATTEMPTS_REF);
  if (!tip) return { commit: null, droppedBases: [], droppedAttempts: 0, keptBases: 0 };
  const records = await readAll(dir, await readNotes(dir, tip));
  const plan = planRetention(records, retention);
  const { commit } = await git.readCommit({ fs, dir, oid: tip, cache: gitCache });
  if (plan.droppedAttempts === 0 && commit.parent.length === 0) {
    return { commit: null, droppedBases: [], droppedAttempts: 0, keptBases: records.size };
  }
  return retain(dir, tip, records, retention, "evolve: apply attempts retention", options.author);
}

async function retain(
  dir: string,
  tip: string | undefined,
  records: Map<string, AttemptRecord[]>,
  retention: AttemptsRetention,
  message: string,
  author: Identity | undefined,
): Promise<AttemptsWrite> {
  const plan = planRetention(records, retention);
  const notes = new Map<string, string>();
  const blobs: GitObject[] = [];
  for (const [base, kept] of plan.kept) {
    const blob = noteBlob(kept);
    notes.set(base, blob.oid);
    blobs.push(blob);
  }
  // No parent: older notes commits, and everything only they reach, become unreachable.
  const commit = await writeNotes(dir, tip, notes, blobs, [], withSummary(message, retention, plan.droppedAttempts, plan.droppedBases.length), author);
  return { commit, droppedBases: plan.droppedBases, droppedAttempts: plan.droppedAttempts, keptBases: notes.size };
}

/** Which records survive: the newest `bases` bases (see newestFirst), the newest `perBase` records of each. */
function planRetention(records: ReadonlyMap<string, AttemptRecord[]>, retention: AttemptsRetention): { kept: Map<string, AttemptRecord[]>; droppedBases: string[]; droppedAttempts: number } {
  const order = newestFirst(records);
  const keepBases = retention.bases === 0 ? order.length : retention.bases;
  const kept = new Map<string, AttemptRecord[]>();
  const droppedBases: string[] = [];
  let droppedAttempts = 0;
  order.forEach((base, i) => {
    const list = records.get(base) ?? [];
    if (i >= keepBases) {
      droppedBases.push(base);
      droppedAttempts += list.length;
      return;
    }
    const keep = retention.perBase === 0 ? list : list.slice(-retention.perBase);
    droppedAttempts += list.length - keep.length;
    if (keep.length > 0) kept.set(base, keep);
  });
  return { kept, droppedBases: droppedBases.sort(), droppedAttempts };
}

/** Base commits, newest first: by the time (`at`) of their latest attempt, then highest generation, then id. */
function newestFirst(records: ReadonlyMap<string, readonly AttemptRecord[]>): string[] {
  const keyed = [...records].map(([base, list]) => ({
    base,
    at: list.reduce((max, a) => (a.at > max ? a.at : max), ""),
    generation: list.reduce((max, a) => Math.max(max, a.generation), -Infinity),
  }));
  keyed.sort((x, y) => (x.at !== y.at ? (x.at < y.at ? 1 : -1) : y.generation - x.generation || (x.base < y.base ? -1 : 1)));
  return keyed.map((k) => k.base);
}

function withSummary(message: string, retention: AttemptsRetention, droppedAttempts: number, droppedBases: number): string {
  if (droppedAttempts === 0) return message;
  const notes = droppedBases === 0 ? "" : ` (the notes of ${droppedBases} base commit${droppedBases === 1 ? "" : "s"} among them)`;
  return `${message}\n\nRetention (${retention.bases} bases, ${retention.perBase} per base) dropped ${droppedAttempts} attempt${droppedAttempts === 1 ? "" : "s"}${notes}.`;
}

function checkRetention(retention: AttemptsRetention, where: string): void {
  for (const field of ["bases", "perBase"] as const) {
    const v = retention[field];
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}.${field}: expected an integer >= 0, got ${JSON.stringify(v)}`);
  }
}

function noteBlob(attempts: readonly AttemptRecord[]): GitObject {
  return makeObject("blob", Buffer.from(`${JSON.stringify({ attempts }, null, 2)}\n`, "utf8"));
}

async function readAll(dir: string, notes: ReadonlyMap<string, string>): Promise<Map<string, AttemptRecord[]>> {
  const out = new Map<string, AttemptRecord[]>();
  for (const [commit, blob] of notes) out.set(commit, await readNote(dir, commit, blob));
  return out;
}

/** Write the notes tree and commit, then move the ref (checked against `tip` under its lock). */
async function writeNotes(
  dir: string,
  tip: string | undefined,
  notes: ReadonlyMap<string, string>,
  blobs: readonly GitObject[],
  parents: ReadonlyArray<string | undefined>,
  message: string,
  author: Identity | undefined,
): Promise<string> {
  const gitdir = await gitdirOf(dir);
  // Written flat (one entry per annotated commit); native git reads flat and fan-out trees alike.
  const entries: TreeEntry[] = [...notes].map(([name, oid]) => ({ mode: "100644", name, oid }));
  const tree = makeObject("tree", serializeTree(entries));
  const noteCommit = commitObject(tree.oid, parents.filter((p): p is string => p !== undefined), formatIdentity(author), `${message}\n`);
  await writeObjects(gitdir, [...blobs, tree, noteCommit]);
  await updateRef(gitdir, ATTEMPTS_REF, noteCommit.oid, tip ?? null, () => readRef(dir, ATTEMPTS_REF));
  return noteCommit.oid;
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
    throw new EvolveError("storage", `${where}: ${locateJsonError(text, errorMessage(error))}`, { path: ATTEMPTS_REF, commit });
  }
  const attempts = (data as { attempts?: unknown } | null)?.attempts;
  if (!Array.isArray(attempts)) throw new EvolveError("storage", `${where}: line 1: expected {"attempts": [...]}`, { path: ATTEMPTS_REF, commit });
  try {
    attempts.forEach((attempt, i) => checkAttempt(attempt, `${where}: attempts[${i}]`));
  } catch (error) {
    // A note someone edited by hand is stored state gone bad, not a bug.
    throw new EvolveError("storage", errorMessage(error), { path: ATTEMPTS_REF, commit }, { cause: error });
  }
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

/** The config's `history` section, as far as the attempts writer reads it. */
export interface AttemptsHistorySettings {
  readonly attemptsRetention: number;
  readonly attemptsPerBase: number;
}

/**
 * The one writer every engine path uses (run, tune, held candidates): appendAttempts with the
 * workspace's retention always applied, so no path can grow the notes ref without bound.
 */
export function recordAttempts(dir: string, base: string, attempts: readonly AttemptRecord[], history: AttemptsHistorySettings): Promise<AttemptsWrite> {
  return appendAttempts(dir, base, attempts, { retention: { bases: history.attemptsRetention, perBase: history.attemptsPerBase } });
}
