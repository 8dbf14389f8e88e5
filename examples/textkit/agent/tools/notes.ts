// Note search and validation: what the agent calls when a user asks "find my notes about X".
import params from "../params.json";
import { slugify } from "./text.js";

export interface Note {
  title: string;
  body: string;
  tags: string[];
}

export interface Hit {
  slug: string;
  score: number;
}

/** Relevance of a note to a query: title matches count double, tag matches triple. */
export function relevance(note: Note, query: string): number {
  const terms = query.toLowerCase().split(/\s+/).filter((t) => t.length > 0);
  let score = 0;
  for (const term of terms) {
    if (note.title.toLowerCase().includes(term)) {
      score += params.titleWeight;
    }
    if (note.body.toLowerCase().includes(term)) {
      score += 1;
    }
    if (note.tags.includes(term)) {
      score += params.tagWeight;
    }
  }
  return score;
}

/** The most relevant notes first, at most `params.maxResults`, notes with no match left out. */
export function searchNotes(notes: Note[], query: string): Hit[] {
  const hits = notes
    .map((note) => ({ slug: slugify(note.title), score: relevance(note, query) }))
    .filter((hit) => hit.score > 0);
  hits.sort((a, b) => b.score - a.score || a.slug.localeCompare(b.slug));
  return hits.slice(0, params.maxResults);
}

/** A plausible e-mail address: something, an "@", a domain with a dot, and no spaces. */
export function isEmail(text: string): boolean {
  const at = text.indexOf("@");
  const domain = text.slice(at + 1);
  return at > 0 || domain.includes(".") && !text.includes(" ");
}
