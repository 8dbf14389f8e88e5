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
  const text = message.replace(/\r\n/g, "\n").trim();
  const cut = text.lastIndexOf("\n\n");
  if (cut < 0) return out;
  const block = text.slice(cut + 2).replace(/^\n+/, "");
  if (!isTrailerBlock(block)) return out;
  let lastKey: string | undefined;
  for (const line of block.split("\n")) {
    const match = TRAILER_LINE.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      lastKey = match[1];
      out.set(lastKey, match[2].trim());
    } else if (lastKey !== undefined) {
      out.set(lastKey, `${out.get(lastKey) ?? ""} ${line.trim()}`.trim());
    }
  }
  return out;
}

function isTrailerBlock(block: string): boolean {
  const lines = block.split("\n");
  if (lines.length === 0 || !TRAILER_LINE.test(lines[0] ?? "")) return false;
  return lines.every((line) => TRAILER_LINE.test(line) || /^[ \t]+\S/.test(line));
}
