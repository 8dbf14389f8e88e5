/**
 * `evolve log`: the generations of the current branch, read back from their `Evolve-*` trailers.
 * With --all also the backup refs that `evolve reset` left (with their tips) and every tag.
 */
import git from "isomorphic-git";
import { firstParentLog, parseTrailers, peelToCommit } from "../../ledger/index.js";
import { fs, gitCache } from "../../ledger/fs.js";
import { listBackups } from "../../ledger/reset.js";
import { KNOWN_GOOD_TRAILER } from "../../history/known-good-message.js";
import { TRAILER } from "../../ledger/record.js";
import { c, fail, output, table } from "../output.js";
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
    const entries = await firstParentLog(root, flags.ref ?? "HEAD", { limit: flags.limit });
    const rows = entries.map((e) => {
      const t = e.trailers;
      const num = (k: string) => (t.has(k) ? Number(t.get(k)) : null);
      return {
        commit: e.commit,
        generation: num(TRAILER.generation),
        score: num(TRAILER.score),
        parentScore: num(TRAILER.parentScore),
        delta: num(TRAILER.delta),
        holdout: num(TRAILER.holdout),
        action: t.get(TRAILER.action) ?? null,
        operator: t.get(TRAILER.operator) ?? null,
        fixed: t.get(TRAILER.fixed)?.split(/,\s*/).filter((x) => x !== "" && x !== "none") ?? [],
        tags: e.tags,
        subject: e.subject,
        timestamp: e.timestamp,
      };
    });
    const extra = flags.all === true ? await refsBeyondTheBranch(root, new Set(rows.map((r) => r.commit))) : null;
    if (out.isJson) {
      // Without --all the output stays the plain array it always was.
      out.json(extra === null ? rows : { commits: rows, ...extra });
      return;
    }
    out.say(
      table([
        ["gen", "commit", "score", "delta", "action", "subject"],
        ...rows.map((r) => [
          r.generation === null ? c.dim("-") : String(r.generation),
          r.commit.slice(0, 10),
          r.score === null ? "-" : String(r.score),
          r.delta === null ? "" : r.delta >= 0 ? c.green(`+${r.delta}`) : c.red(String(r.delta)),
          r.action ?? c.dim("(human)"),
          extra === null || r.tags.length === 0 ? r.subject : `${r.subject} ${c.dim(`[${r.tags.join(", ")}]`)}`,
        ]),
      ]),
    );
    if (extra === null) return;
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
  } catch (e) {
    fail(e);
  }
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
  /** Whether the commit is on the first-parent history listed. */
  onBranch: boolean;
}

async function refsBeyondTheBranch(root: string, listed: ReadonlySet<string>): Promise<{ backups: BackupRow[]; tags: TagRow[] }> {
  const messageOf = async (oid: string): Promise<string> => (await git.readCommit({ fs, dir: root, oid, cache: gitCache })).commit.message;
  const numberOf = (v: string | undefined): number | null => (v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  const backups: BackupRow[] = [];
  for (const b of await listBackups(root)) {
    const message = await messageOf(b.commit);
    const t = parseTrailers(message);
    backups.push({ ref: b.ref, commit: b.commit, generation: numberOf(t.get(TRAILER.generation)), score: numberOf(t.get(TRAILER.score)), subject: message.split("\n", 1)[0] ?? "" });
  }
  const tags: TagRow[] = [];
  for (const name of (await git.listTags({ fs, dir: root })).filter((n) => !n.endsWith(".lock"))) {
    const oid = await git.resolveRef({ fs, dir: root, ref: `refs/tags/${name}` }).catch(() => undefined);
    if (oid === undefined) continue;
    const commit = await peelToCommit(root, oid).catch(() => undefined);
    if (commit === undefined) continue;
    const annotated = oid !== commit;
    const tagTrailers = annotated ? parseTrailers((await git.readTag({ fs, dir: root, oid, cache: gitCache })).tag.message) : new Map<string, string>();
    const score = numberOf(tagTrailers.get(TRAILER.score)) ?? numberOf(parseTrailers(await messageOf(commit)).get(TRAILER.score));
    tags.push({ name, commit, annotated, knownGood: numberOf(tagTrailers.get(KNOWN_GOOD_TRAILER)), score, onBranch: listed.has(commit) });
  }
  const natural = new Intl.Collator("en", { numeric: true });
  tags.sort((a, b) => natural.compare(a.name, b.name));
  return { backups, tags };
}
