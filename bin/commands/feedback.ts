/**
 * `evolve feedback ID --good|--bad|--rating N [--expected TEXT] [--note TEXT]`: a person's verdict on
 * a recorded interaction. Checked before the store is opened: refused input changes nothing.
 */
import { EvolveError } from "../../kernel/errors.js";
import { explicitFeedback } from "../../interactions/index.js";
import type { InteractionStore } from "../../interactions/index.js";
import { openWorkspaceStore } from "../../workspace/interactions.js";
import { c, output } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface FeedbackFlags {
  workspace?: string;
  good?: boolean;
  bad?: boolean;
  rating?: number;
  expected?: string;
  note?: string;
  json?: boolean;
}

/** A positive whole interaction id, or `usage`. */
export function parseInteractionId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(id) || id < 1) throw new EvolveError("usage", `"${text}" is not an interaction id (a whole number >= 1, as evolve interactions lists them)`, { value: text });
  return id;
}

/** The workspace's store for a reader, or `not-found` for `id` when nothing was ever recorded. */
export async function storeForId(root: string, id: number): Promise<InteractionStore> {
  const store = await openWorkspaceStore(root, { create: false });
  if (store === null) throw new EvolveError("not-found", `no interaction ${id} (nothing has been recorded in ${root} yet)`, { what: "interaction", id, purged: false });
  return store;
}

export async function feedbackCommand(idText: string, flags: FeedbackFlags): Promise<void> {
  const out = output(flags.json === true);
  const id = parseInteractionId(idText);
  const input = explicitFeedback({
    ...(flags.good ? { good: true } : {}),
    ...(flags.bad ? { bad: true } : {}),
    ...(flags.rating !== undefined ? { rating: flags.rating } : {}),
    ...(flags.expected !== undefined ? { expected: flags.expected } : {}),
    ...(flags.note !== undefined ? { note: flags.note } : {}),
  });
  const store = await storeForId(workspaceFromFlag(flags.workspace), id);
  try {
    const f = store.addFeedback(id, input);
    out.say(`${c.green("recorded")} ${f.signal}${f.signal === "rating" ? ` ${f.rating}/5` : ""} on interaction ${id}${f.expected ? ", with the expected answer" : ""}`);
    if (out.isJson) out.json({ interaction: id, feedback: f });
  } finally {
    store.close();
  }
}
