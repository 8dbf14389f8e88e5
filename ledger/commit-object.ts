/**
 * Parsing raw commit and tag objects (the text git hashes), for the history readers that get them
 * from packs or from the generation index rather than through isomorphic-git.
 */

/** The fields of a commit object the history readers use. */
export interface ParsedCommit {
  readonly tree: string;
  /** First parent first; empty for a root commit. */
  readonly parents: string[];
  /** `name <email>` of the author. */
  readonly author: string;
  /** Author time, seconds since the epoch. */
  readonly timestamp: number;
  /** The message (everything after the headers). */
  readonly message: string;
}

/** Parse a commit object's content; undefined when it is not a well-formed commit. */
export function parseCommit(content: Buffer): ParsedCommit | undefined {
  const text = content.toString("utf8");
  const end = text.indexOf("\n\n");
  const head = end < 0 ? text : text.slice(0, end);
  let tree: string | undefined;
  const parents: string[] = [];
  let author = "";
  let timestamp = 0;
  for (const line of head.split("\n")) {
    if (line.startsWith("tree ")) tree = line.slice(5);
    else if (line.startsWith("parent ")) parents.push(line.slice(7));
    else if (line.startsWith("author ")) {
      const match = /^author (.*) (-?\d+) [+-]\d{4}$/.exec(line);
      if (match) {
        author = match[1]!;
        timestamp = Number(match[2]);
      }
    }
  }
  if (tree === undefined || !/^[0-9a-f]{40}$/.test(tree)) return undefined;
  return { tree, parents, author, timestamp, message: end < 0 ? "" : text.slice(end + 2) };
}

/** The fields of an annotated tag object. */
export interface ParsedTag {
  /** The object it points at. */
  readonly object: string;
  readonly type: string;
  readonly name: string;
  readonly message: string;
}

/** Parse a tag object's content; undefined when it is not a well-formed tag. */
export function parseTag(content: Buffer): ParsedTag | undefined {
  const text = content.toString("utf8");
  const end = text.indexOf("\n\n");
  const head = end < 0 ? text : text.slice(0, end);
  const field = (name: string): string | undefined => new RegExp(`^${name} (.*)$`, "m").exec(head)?.[1];
  const object = field("object");
  const type = field("type");
  if (object === undefined || type === undefined || !/^[0-9a-f]{40}$/.test(object)) return undefined;
  return { object, type, name: field("tag") ?? "", message: end < 0 ? "" : text.slice(end + 2) };
}
