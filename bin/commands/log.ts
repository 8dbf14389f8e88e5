/**
 * `evolve log`: the generations of the current branch, read back from their `Evolve-*` trailers.
 * With --all also the backup refs that `evolve reset` left (with their tips) and every tag.
 *
 * Rows are printed as the history is read (through the ledger's generation index), so the first
 * line appears before a long history is read to its end, and `-n` stops the reading early.
 */
import { walkFirstParent, walkFirstParentBatches } from "../../ledger/log.js";
import { openHistory } from "../../ledger/history-read.js";
import { parseTag } from "../../ledger/commit-object.js";
import { parseTrailers } from "../../ledger/trailers.js";
import { KNOWN_GOOD_TRAILER } from "../../history/known-good-message.js";
import { TRAILER } from "../../ledger/record.js";
import { logJsonChunks, logRows, type LogRow } from "../../history/log-rows.js";
import { c, fail, output, table, type Out } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface LogFlags {
  workspace?: string;
  json?: boolean;
  limit?: number;
  ref?: string;
  /** Also backup refs and tags. */
  all?: boolean;
}

export async function logCommand(flags: LogFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const root = workspaceFromFlag(flags.workspace);
    const ref = flags.ref ?? "HEAD";
    const rows = logRows(walkFirstParentBatches(root, ref, { limit: flags.limit }));
    if (flags.all === true) return await logAll(out, root, ref, rows);
    if (out.isJson) await streamJson(out, rows);
    else await streamTable(out, rows);
  } catch (e) {
    fail(e);
  }
}

function cells(r: LogRow, tags: boolean): string[] {
  return [
    r.generation === null ? c.dim("-") : String(r.generation),
    r.commit.slice(0, 10),
    r.score === null ? "-" : String(r.score),
    r.delta === null ? "" : r.delta >= 0 ? c.green(`+${r.delta}`) : c.red(String(r.delta)),
    r.action ?? c.dim("(human)"),
    !tags || r.tags.length === 0 ? r.subject : `${r.subject} ${c.dim(`[${r.tags.join(", ")}]`)}`,
  ];
}

const HEADER = ["gen", "commit", "score", "delta", "action", "subject"];

/** `evolve log --json`: the rows as they are read (see logJsonChunks). */
async function streamJson(out: Out, batches: AsyncIterable<LogRow[]>): Promise<void> {
  for await (const chunk of logJsonChunks(batches)) out.write(chunk);
}

/** Rows under a header; column widths come from the first rows (a wider cell later pushes its line). */
async function streamTable(out: Out, batches: AsyncIterable<LogRow[]>): Promise<void> {
  const FIRST = 50;
  const head: string[][] = [HEADER];
  let widths: number[] | null = null;
  for await (const batch of batches) {
    let lines = "";
    for (const row of batch) {
      if (widths !== null) {
        lines += `${padded(cells(row, false), widths)}\n`;
        continue;
      }
      head.push(cells(row, false));
      if (head.length <= FIRST) continue;
      widths = widthsOf(head);
      lines += `${table(head)}\n`;
    }
    if (lines !== "") out.write(lines);
  }
  if (widths === null) out.say(table(head));
}

// eslint-disable-next-line no-control-regex
const visible = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, "").length;

function widthsOf(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return widths;
}

function padded(row: readonly string[], widths: readonly number[]): string {
  return row.map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat(Math.max(0, (widths[i] ?? 0) - visible(cell))))).join("  ");
}

async function logAll(out: Out, root: string, ref: string, batches: AsyncIterable<LogRow[]>): Promise<void> {
  const list: LogRow[] = [];
  for await (const batch of batches) list.push(...batch);
  const extra = await refsBeyondTheBranch(root, await firstParentCommits(root, ref));
  if (out.isJson) {
    out.json({ commits: list, ...extra });
    return;
  }
  out.say(table([HEADER, ...list.map((r) => cells(r, true))]));
  out.say("");
  if (extra.backups.length === 0) out.say(c.dim("No backup refs (evolve reset makes one before it moves a branch)."));
  else {
    out.say(c.bold("Backups (refs/evolve/backups/, from evolve reset):"));
    out.say(table(extra.backups.map((b) => [b.ref, b.commit.slice(0, 10), b.generation === null ? "-" : `gen ${b.generation}`, b.score === null ? "-" : String(b.score), b.subject])));
  }
  out.say("");
  const shown = extra.tags.filter((t) => !t.onBranch || t.knownGood !== null);
  if (shown.length === 0) out.say(c.dim(`Every tag (${extra.tags.length}) is on the history above.`));
  else {
    out.say(c.bold("Known-good tags, and tags off this history:"));
    out.say(table(shown.map((t) => [t.name, t.commit.slice(0, 10), t.knownGood !== null ? c.green(`known-good (${t.knownGood} runs)`) : "", t.score === null ? "-" : String(t.score), t.onBranch ? "" : c.yellow("not on this history")])));
  }
}

/**
 * Every commit of the first-parent history of `ref`, however many rows `-n` shows: "on this
 * history" means on the branch, not among the rows printed.
 */
async function firstParentCommits(root: string, ref: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const e of walkFirstParent(root, ref, { tags: false })) out.add(e.commit);
  return out;
}

/** A backup ref and the commit it keeps. */
export interface BackupRow {
  ref: string;
  commit: string;
  generation: number | null;
  score: number | null;
  subject: string;
}

/** A tag: what it points at, what its message records. */
export interface TagRow {
  name: string;
  commit: string;
  annotated: boolean;
  /** Runs the known-good check made (Evolve-Known-Good), or null for other tags. */
  knownGood: number | null;
  /** Evolve-Score of the tag message, else of the tagged commit. */
  score: number | null;
  /** Whether the commit is on the first-parent history of the ref logged. */
  onBranch: boolean;
}

async function refsBeyondTheBranch(root: string, onBranch: ReadonlySet<string>): Promise<{ backups: BackupRow[]; tags: TagRow[] }> {
  const history = await openHistory(root);
  const numberOf = (v: string | undefined): number | null => (v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  const backups: BackupRow[] = [];
  const { listBackups } = await import("../../ledger/reset.js");
  for (const b of await listBackups(root)) {
    const { message } = await history.commit(b.commit);
    const t = parseTrailers(message);
    backups.push({ ref: b.ref, commit: b.commit, generation: numberOf(t.get(TRAILER.generation)), score: numberOf(t.get(TRAILER.score)), subject: message.split("\n", 1)[0] ?? "" });
  }
  const tags: TagRow[] = [];
  for (const [name, ref] of history.tagRefs()) {
    const commit = ref.peeled;
    // A broken tag, or one on a tree or blob, has no place in a commit log.
    if (commit === undefined) continue;
    const object = ref.oid === commit ? undefined : history.objects.read(ref.oid);
    const tag = object?.type === "tag" ? parseTag(object.content) : undefined;
    const tagTrailers = tag === undefined ? new Map<string, string>() : parseTrailers(tag.message);
    const score = numberOf(tagTrailers.get(TRAILER.score)) ?? numberOf(parseTrailers((await history.commit(commit)).message).get(TRAILER.score));
    tags.push({ name, commit, annotated: ref.oid !== commit, knownGood: numberOf(tagTrailers.get(KNOWN_GOOD_TRAILER)), score, onBranch: onBranch.has(commit) });
  }
  history.save();
  const natural = new Intl.Collator("en", { numeric: true });
  tags.sort((a, b) => natural.compare(a.name, b.name));
  return { backups, tags };
}
