/**
 * Markdown sections by ATX heading (`## Title`), the unit in which prompts are shown in a snapshot
 * and edited by an `edit-prompt-section` operation. Headings inside fenced code blocks are text.
 */

/** One section: a heading line and the text up to the next heading of any level. */
export interface MarkdownSection {
  /** Heading text without the #s, trimmed; "" for the text before the first heading. */
  heading: string;
  /** 1-6 for a heading; 0 for the text before the first heading. */
  level: number;
  /** Offset of the heading line (or 0 for the preamble). */
  start: number;
  /** Offset just after the heading line's newline: where the section's own text begins. */
  bodyStart: number;
  /** Offset of the next heading line, or the end of the text. */
  end: number;
}

const HEADING = /^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/;
const FENCE = /^[ \t]{0,3}(```|~~~)/;

/**
 * The sections of `text` in order. The preamble (text before the first heading) is always the first
 * section, possibly empty, so a prompt without headings is one section with heading "".
 */
export function markdownSections(text: string): MarkdownSection[] {
  const sections: MarkdownSection[] = [{ heading: "", level: 0, start: 0, bodyStart: 0, end: text.length }];
  let offset = 0;
  let fence: string | null = null;
  for (const line of text.split("\n")) {
    const lineStart = offset;
    offset += line.length + 1;
    const f = FENCE.exec(line);
    if (f) {
      const marker = f[1] as string;
      if (fence === null) fence = marker;
      else if (fence === marker) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = HEADING.exec(line.replace(/\r$/, ""));
    if (!h) continue;
    const prev = sections[sections.length - 1] as MarkdownSection;
    prev.end = lineStart;
    sections.push({ heading: (h[2] as string).trim(), level: (h[1] as string).length, start: lineStart, bodyStart: Math.min(offset, text.length), end: text.length });
  }
  return sections;
}

/** A heading as a model may write it ("## Rules ", "rules"): without #s, trimmed, case-folded. */
export function normaliseHeading(heading: string): string {
  return heading.replace(/^#+\s*/, "").trim().toLowerCase();
}
