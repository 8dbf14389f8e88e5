/** Commit trailers in order: `[key, value]` pairs such as `["Evolve-Score", "0.82"]`. */
export type Trailers = ReadonlyArray<readonly [key: string, value: string]>;

const KEY = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$/;

/**
 * A commit message: subject, blank line, body, blank line, trailer block, final newline. The
 * subject must be one non-empty line; an empty body is left out. Trailer values are folded onto
 * one line (whitespace runs, newlines included, become one space): git would read a continuation
 * line as part of a folded value or end the block early.
 */
export function formatMessage(subject: string, body: string, trailers: Trailers): string {
  const head = subject.trim();
  if (head === "") throw new Error("formatMessage: subject is empty");
  if (/[\r\n]/.test(head)) throw new Error(`formatMessage: subject must be one line, got ${JSON.stringify(subject)}`);
  const lines = trailers.map(([key, value], i) => {
    if (!KEY.test(key)) {
      throw new Error(`formatMessage: trailers[${i}].key ${JSON.stringify(key)} must be letters, digits and '-'`);
    }
    const folded = value.replace(/\s+/g, " ").trim();
    return folded === "" ? `${key}:` : `${key}: ${folded}`;
  });
  const parts = [head];
  const text = body.replace(/\r\n/g, "\n").replace(/^\n+|\s+$/g, "");
  if (text !== "") parts.push(text);
  if (lines.length > 0) parts.push(lines.join("\n"));
  return `${parts.join("\n\n")}\n`;
}

/**
 * The trailers of a message: its last paragraph, if that paragraph is not the subject and every
 * line is `Key: value` (or a continuation line starting with whitespace, appended to the value).
 * A key given twice keeps its last value.
 */
export function parseTrailers(message: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = (message.includes("\r") ? message.replace(/\r\n/g, "\n") : message).trim();
  const cut = text.lastIndexOf("\n\n");
  if (cut < 0) return out;
  let at = cut + 2;
  while (text.charCodeAt(at) === 10) at++;
  // One pass over the lines, without regular expressions (a long history parses thousands of
  // blocks): any line that is neither `Key: value` nor a continuation means no trailer block.
  let lastKey: string | undefined;
  while (at <= text.length) {
    let eol = text.indexOf("\n", at);
    if (eol < 0) eol = text.length;
    const key = keyOf(text, at, eol);
    if (key > 0) {
      lastKey = text.slice(at, at + key);
      out.set(lastKey, text.slice(at + key + 1, eol).trim());
    } else if (lastKey !== undefined && isContinuation(text, at, eol)) {
      out.set(lastKey, `${out.get(lastKey) ?? ""} ${text.slice(at, eol).trim()}`.trim());
    } else {
      out.clear();
      return out;
    }
    at = eol + 1;
  }
  return out;
}

/** Length of the key when text[from, to) is `Key:...` (letters, digits and '-', not leading '-'), else 0. */
function keyOf(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 58) return i > from ? i - from : 0;
    const alnum = (ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122);
    if (!alnum && (ch !== 45 || i === from)) return 0;
  }
  return 0;
}

/** Whether text[from, to) is spaces or tabs, then a character that is not white space. */
function isContinuation(text: string, from: number, to: number): boolean {
  let i = from;
  while (i < to && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i > from && i < to && /\S/.test(text.charAt(i));
}
