/**
 * `evolve memory [--json]`: what the learning memory holds: per operator, how often it repaired a
 * situation and how often it was tried without gain, and the newest outcomes with their situations.
 * Read-only; a workspace that has learned nothing yet says so.
 */
import type { MemoryEntry } from "../../memory/situation.js";
import { openWorkspaceMemory } from "../../workspace/memory.js";
import { c, fail, output, table } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface MemoryFlags {
  workspace?: string;
  limit?: number;
  json?: boolean;
}

/** Per operator: outcomes by kind, most repairs first. */
export function byOperator(entries: readonly MemoryEntry[]): Array<{ operator: string; tried: number; repaired: number; accepted: number; refused: number }> {
  const acc = new Map<string, { operator: string; tried: number; repaired: number; accepted: number; refused: number }>();
  for (const e of entries) {
    const s = acc.get(e.operator) ?? { operator: e.operator, tried: 0, repaired: 0, accepted: 0, refused: 0 };
    s.tried++;
    if (e.outcome === "repaired") s.repaired++;
    if (e.outcome === "accepted") s.accepted++;
    if (e.outcome === "refused") s.refused++;
    acc.set(e.operator, s);
  }
  return [...acc.values()].sort((a, b) => b.accepted + b.repaired - (a.accepted + a.repaired) || b.tried - a.tried || a.operator.localeCompare(b.operator));
}

export async function memoryCommand(flags: MemoryFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const root = workspaceFromFlag(flags.workspace);
    const memory = await openWorkspaceMemory(root, { create: false });
    if (memory === null) {
      out.say("learning memory: empty (evolve improve, and evolve run with memory, record what each round tried and how it turned out)");
      if (out.isJson) out.json({ path: null, entries: 0, operators: [], recent: [] });
      return;
    }
    let all: MemoryEntry[];
    let count: number;
    try {
      count = memory.count();
      all = memory.recent(10_000);
    } finally {
      memory.close();
    }
    const recent = all.slice(0, flags.limit ?? 10);
    const operators = byOperator(all);
    out.say(`${c.bold("learning memory")}: ${count} outcome(s) in ${memory.path}`);
    if (operators.length > 0) {
      out.say(table([["operator", "tried", "accepted", "repaired", "refused"], ...operators.map((o) => [o.operator, String(o.tried), String(o.accepted), String(o.repaired), String(o.refused)])]));
      out.say("");
      out.say(c.bold("newest outcomes") + " (situation: tool / failure / assertion -> action -> outcome)");
      for (const e of recent) {
        const s = e.situation;
        const mark = e.outcome === "accepted" || e.outcome === "repaired" ? c.green(e.outcome) : c.dim(e.outcome);
        out.say(`  ${new Date(e.at).toISOString().slice(0, 19)}Z ${s.tool || "?"} / ${s.failureKind} / ${s.assertion || "?"} -> ${e.operator}: ${e.description.slice(0, 100)} -> ${mark}`);
      }
    }
    if (out.isJson) out.json({ path: memory.path, entries: count, operators, recent });
  } catch (e) {
    fail(e);
  }
}
