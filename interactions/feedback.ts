/**
 * Feedback, explicit and implicit. A person says good, bad (perhaps with the expected answer) or
 * rates 1..5; good is stored as 5 and bad as 1, so satisfaction is one scale. Implicit signals are
 * read off what happened: a tool failed, something timed out, the model's reply was refused, the
 * steps ran out, or the user asked again soon after. Pure.
 */
import { EvolveError } from "../kernel/errors.js";
import type { FeedbackInput, InteractionEnd } from "./types.js";

export const RATING_MIN = 1;
export const RATING_MAX = 5;
export const GOOD_RATING = 5;
export const BAD_RATING = 1;

/** A request this soon after the previous one in the same conversation, and similar to it, is "asked again". */
export const ASK_AGAIN_WINDOW_MS = 120_000;
/** Word-set overlap (Jaccard) from which two requests count as the same question. */
export const ASK_AGAIN_SIMILARITY = 0.5;

/** What a person said about an interaction, as flags or chat commands give it. */
export interface ExplicitFeedback {
  good?: boolean;
  bad?: boolean;
  rating?: number;
  expected?: string;
  note?: string;
}

/** Checks explicit feedback and turns it into what the store keeps; bad input is refused with `usage`. */
export function explicitFeedback(f: ExplicitFeedback): FeedbackInput {
  const given = [f.good === true, f.bad === true, f.rating !== undefined].filter(Boolean).length;
  if (given !== 1) throw new EvolveError("usage", "give exactly one of --good, --bad or --rating N");
  if (f.rating !== undefined && !(Number.isInteger(f.rating) && f.rating >= RATING_MIN && f.rating <= RATING_MAX)) {
    throw new EvolveError("usage", `a rating is a whole number from ${RATING_MIN} to ${RATING_MAX}, got ${String(f.rating)}`, { field: "rating", value: f.rating });
  }
  if (f.good === true && f.expected !== undefined) throw new EvolveError("usage", "--expected goes with --bad or a low --rating: a good answer is already what was expected");
  for (const [key, text] of [["expected", f.expected], ["note", f.note]] as const) {
    if (text !== undefined && text.trim() === "") throw new EvolveError("usage", `--${key} is empty`, { field: key });
  }
  const signal = f.good === true ? "good" : f.bad === true ? "bad" : "rating";
  const rating = f.good === true ? GOOD_RATING : f.bad === true ? BAD_RATING : f.rating!;
  return { source: "explicit", signal, rating, expected: f.expected?.trim() ?? null, note: f.note?.trim() ?? null };
}

/** Implicit signals of one finished interaction: each at most once, with a note saying what was seen. */
export function implicitSignals(end: Pick<InteractionEnd, "toolCalls" | "errorKind" | "refusals" | "steps">): FeedbackInput[] {
  const out: FeedbackInput[] = [];
  const failed = end.toolCalls.filter((t) => !t.ok);
  const broken = failed.filter((t) => t.failureKind !== "timeout");
  if (broken.length > 0) out.push({ source: "implicit", signal: "tool-failure", note: failed.map((t) => `${t.name}: ${t.failureKind ?? "failed"}`).join("; ") });
  const timedOut = failed.filter((t) => t.failureKind === "timeout");
  if (timedOut.length > 0 || end.errorKind === "timeout") {
    out.push({ source: "implicit", signal: "timeout", note: timedOut.length > 0 ? timedOut.map((t) => `${t.name} timed out`).join("; ") : "the model timed out" });
  }
  if (end.refusals > 0) out.push({ source: "implicit", signal: "refused", note: `${end.refusals} repl${end.refusals === 1 ? "y" : "ies"} refused as invalid` });
  if (end.errorKind === "max-steps") out.push({ source: "implicit", signal: "max-steps", note: `no answer within ${end.steps} step(s)` });
  return out;
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** Jaccard overlap of the two texts' word sets, 0..1 (1 for two texts without words that are equal). */
export function requestSimilarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 && y.size === 0) return a.trim() === b.trim() ? 1 : 0;
  let both = 0;
  for (const w of x) if (y.has(w)) both++;
  return both / (x.size + y.size - both);
}

/** Whether `next` asks `previous` again: soon after it ended, and about the same thing. */
export function askedAgain(previous: { request: string; endedAt: number }, next: { request: string; at: number }, windowMs = ASK_AGAIN_WINDOW_MS): boolean {
  const gap = next.at - previous.endedAt;
  return gap >= 0 && gap <= windowMs && requestSimilarity(previous.request, next.request) >= ASK_AGAIN_SIMILARITY;
}

/**
 * A chat's feedback command on its last answer: `/good [note]`, `/bad [expected answer]`,
 * `/rate N [note]`. Null when the line is not one; a malformed one is refused with `usage`.
 */
export function parseChatFeedback(line: string): ExplicitFeedback | null {
  const m = /^\/(good|bad|rate)(?:\s+([\s\S]*))?$/.exec(line.trim());
  if (!m) return null;
  const rest = m[2]?.trim() ?? "";
  if (m[1] === "good") return { good: true, ...(rest ? { note: rest } : {}) };
  if (m[1] === "bad") return { bad: true, ...(rest ? { expected: rest } : {}) };
  const r = /^(\S+)(?:\s+([\s\S]+))?$/.exec(rest);
  const n = Number(r?.[1]);
  if (!r || !Number.isInteger(n) || n < RATING_MIN || n > RATING_MAX) {
    throw new EvolveError("usage", `/rate takes a whole number from ${RATING_MIN} to ${RATING_MAX}, e.g. /rate 4`, { value: rest });
  }
  return { rating: n, ...(r[2] ? { note: r[2].trim() } : {}) };
}
