/**
 * `evolve interactions [ID] [--since 24h] [--limit N]`: what the agent was asked and how it went:
 * request, answer, tools, latency, outcome, feedback. `evolve interactions purge --before DATE`
 * deletes the older ones for privacy (and compacts the file so their text is gone from disk).
 */
import type { Interaction, InteractionSummary } from "../../interactions/index.js";
import { parseTimePoint } from "../../interactions/index.js";
import { openWorkspaceStore } from "../../workspace/interactions.js";
import { c, output, table, type Out } from "../output.js";
import { parseInteractionId, storeForId } from "./feedback.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface InteractionsFlags {
  workspace?: string;
  since?: string;
  limit?: number;
  json?: boolean;
}

export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
}

export function when(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 19);
}

function oneLine(text: string | null, max: number): string {
  if (text === null) return "-";
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function outcome(s: { status: string; errorKind: string | null }): string {
  if (s.status === "answered") return c.green("answered");
  if (s.status === "in-flight") return c.yellow("in flight");
  if (s.status === "interrupted") return c.yellow("interrupted");
  return c.red(s.errorKind ?? s.status);
}

function listRows(list: readonly InteractionSummary[]): string[][] {
  return list.map((s) => [
    String(s.id),
    when(s.startedAt),
    s.generation === null ? "-" : String(s.generation),
    ms(s.totalMs),
    s.toolCalls === 0 ? "-" : `${s.toolCalls}${s.toolFailures ? c.red(` (${s.toolFailures} failed)`) : ""}`,
    outcome(s),
    s.signals.length ? s.signals.join(",") : "-",
    `${oneLine(s.request, 40)} ${c.dim("->")} ${oneLine(s.answer, 40)}`,
  ]);
}

function showOne(out: Out, i: Interaction): void {
  const p = i.model.params;
  out.say(`${c.bold(`interaction ${i.id}`)}  ${i.source}  ${when(i.startedAt)} UTC  generation ${i.generation ?? "-"}${i.commit ? ` (${i.commit.slice(0, 10)})` : ""}`);
  out.say(`model     ${i.model.provider} ${i.model.name}${i.model.identity ? c.dim(` ${i.model.identity.slice(0, 40)}`) : ""}; ${Object.entries(p).map(([k, v]) => `${k} ${String(v)}`).join(", ")}`);
  out.say(`request   ${i.request}`);
  out.say(`answer    ${i.answer ?? c.dim("(none)")}`);
  i.toolCalls.forEach((t, n) => {
    const res = t.ok ? `-> ${oneLine(t.result, 120)}` : c.red(`failed (${t.failureKind}): ${oneLine(t.result, 100)}`);
    out.say(`tool ${n + 1}    ${t.name}(${oneLine(t.args.replace(/^\[|\]$/g, ""), 80)}) ${res} ${c.dim(ms(t.ms))}`);
  });
  const timing = `${ms(i.totalMs)} (first token ${ms(i.firstTokenMs)}, model ${ms(i.modelMs)})`;
  out.say(`outcome   ${outcome(i)}${i.error ? `: ${i.error}` : ""}; ${timing}; tokens ${i.tokensIn ?? "-"} in / ${i.tokensOut ?? "-"} out; ${i.steps ?? "-"} step(s), ${i.refusals ?? 0} refused`);
  for (const f of i.feedback) {
    const what = f.signal === "rating" ? `rating ${f.rating}/5` : f.signal;
    const extra = [f.expected ? `expected: ${f.expected}` : "", f.note ?? ""].filter(Boolean).join("; ");
    out.say(`feedback  ${when(f.at)} ${f.source} ${f.source === "explicit" ? c.bold(what) : what}${extra ? `: ${extra}` : ""}`);
  }
  if (i.feedback.length === 0) out.say(`feedback  ${c.dim(`none (evolve feedback ${i.id} --good | --bad --expected TEXT | --rating 1-5)`)}`);
}

export async function interactionsCommand(idText: string | undefined, flags: InteractionsFlags): Promise<void> {
  const out = output(flags.json === true);
  const id = idText === undefined ? null : parseInteractionId(idText);
  const since = flags.since === undefined ? undefined : parseTimePoint("--since", flags.since);
  const root = workspaceFromFlag(flags.workspace);
  if (id !== null) {
    const store = await storeForId(root, id);
    try {
      const i = store.get(id);
      showOne(out, i);
      if (out.isJson) out.json(i);
    } finally {
      store.close();
    }
    return;
  }
  const store = await openWorkspaceStore(root, { create: false });
  const list = store === null ? [] : (() => {
    try {
      return store.list({ ...(since !== undefined ? { since } : {}), limit: flags.limit ?? 50 });
    } finally {
      store.close();
    }
  })();
  if (list.length === 0) out.say(store === null ? "nothing recorded yet: evolve ask and evolve chat record each request" : "no interactions in that window");
  else out.say(table([["id", "started (UTC)", "gen", "time", "tools", "outcome", "feedback", "request -> answer"], ...listRows(list)]));
  if (out.isJson) out.json(list);
}

export interface PurgeFlags {
  workspace?: string;
  before: string;
  json?: boolean;
}

export async function purgeCommand(flags: PurgeFlags): Promise<void> {
  const out = output(flags.json === true);
  const before = parseTimePoint("--before", flags.before);
  const store = await openWorkspaceStore(workspaceFromFlag(flags.workspace), { create: false });
  if (store === null) {
    out.say("nothing recorded yet; nothing to purge");
    if (out.isJson) out.json({ before: new Date(before).toISOString(), deleted: 0, vacuumed: true });
    return;
  }
  try {
    const r = store.purgeBefore(before);
    out.say(`purged ${r.deleted} interaction(s) started before ${new Date(before).toISOString()}${r.vacuumed ? "" : c.yellow("; the file could not be compacted now (another process holds it), so deleted text may remain on disk until the next purge")}`);
    if (out.isJson) out.json({ before: new Date(before).toISOString(), ...r });
  } finally {
    store.close();
  }
}
