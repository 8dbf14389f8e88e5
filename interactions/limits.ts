/**
 * Stored sizes are capped: a request is the user's, but an answer, a tool's arguments and above all a
 * tool's result come from the model and the candidate code, and are hostile. A capped text ends with
 * a marker saying how much was cut; the original length is kept beside the request and the answer.
 */

export const LIMITS = {
  /** Characters of a request. */
  request: 16_000,
  /** Characters of an answer. */
  answer: 16_000,
  /** Characters of a tool call's arguments (JSON). */
  toolArgs: 4_000,
  /** Characters of a tool call's result or error message. */
  toolResult: 4_000,
  /** Tool calls kept per interaction (maxSteps bounds them anyway; this bounds a caller that does not). */
  toolCalls: 64,
  /** Characters of an error line. */
  error: 1_000,
  /** Characters of an expected answer given as feedback. */
  expected: 4_000,
  /** Characters of a feedback note. */
  note: 1_000,
  /** Characters of the model's name and identity fields. */
  label: 500,
  /** Characters of the model parameters (JSON). */
  params: 2_000,
  /** Feedback rows per interaction: a client cannot grow one interaction without bound. */
  feedbackPerInteraction: 100,
} as const;

/** `text` cut to `max` characters, the cut marked; the marker counts against the limit. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  // Room for the marker: "… (N more characters)" is under 40 characters for any N a string can have.
  let end = Math.max(0, max - 40);
  // Never split a surrogate pair: the stored text stays valid UTF-16.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}

/** cap() that passes null through. */
export function capOrNull(text: string | null | undefined, max: number): string | null {
  return text === null || text === undefined ? null : cap(text, max);
}

/** A finite, non-negative number or null: timings from a caller are never trusted to be sane. */
export function cleanMs(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

/** A whole count >= 0 (0 for anything else). */
export function cleanCount(value: number | null | undefined): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : 0;
}
