/**
 * Text that came from somewhere untrusted (a candidate's error message, a custom assertion's reason)
 * and is about to be shown on one line or stored. Every function here is linear in the length of its
 * input: a regular expression such as /\s*\n\s* / backtracks quadratically on a long run of spaces
 * (100,000 spaces took 15 s), which is a host hang a candidate can trigger by throwing.
 */

/**
 * Whitespace runs that contain a line break become one space; the ends are trimmed. Other runs of
 * spaces are kept as they are.
 */
export function foldLines(text: string): string {
  // /\s+/ never backtracks into a shorter match, so each character is visited a bounded number of times.
  return text.replace(/\s+/g, (run) => (run.includes("\n") || run.includes("\r") ? " " : run)).trim();
}

/**
 * `text` cut to at most `max` characters, ending in a note of how long it was (`originalLength`, when
 * `text` is already a prefix of something longer). Cutting never splits a UTF-16 surrogate pair.
 */
export function capText(text: string, max: number, originalLength = text.length): string {
  if (text.length <= max && originalLength === text.length) return text;
  const note = `… (${originalLength} characters)`;
  let end = Math.max(0, max - note.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end) + note;
}

/** foldLines, then capText: one line of at most `max` characters. */
export function oneLine(text: string, max: number): string {
  // Folding the whole text would be work proportional to its length; a generous prefix is enough.
  if (text.length <= max * 4) return capText(foldLines(text), max);
  return capText(foldLines(text.slice(0, max * 4)), max, text.length);
}

/** JSON-ish rendering of a value cut to `max` characters, for one-line messages. */
export function preview(value: unknown, max = 60): string {
  let text: string;
  if (value === undefined) text = "undefined";
  else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
  else if (typeof value === "bigint") text = `${value}n`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
