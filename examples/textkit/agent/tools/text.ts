// Text helpers the notes agent uses to name, preview and size notes.

/** A URL- and filename-safe slug: lowercase ASCII words joined by single hyphens. */
export function slugify(title: string): string {
  const words = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
  return words.join("-");
}

/** A preview of at most `max` characters; cut text ends with a single "…" that counts toward `max`. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const cut = text.slice(0, max).trimEnd();
  return cut + "…";
}

/** Number of words, where a word is a run of letters, digits or apostrophes. */
export function wordCount(text: string): number {
  const matches = text.match(/[\p{L}\p{N}']+/gu);
  return matches === null ? 0 : matches.length;
}
