/**
 * Annotated tags a person asks for by name (`evolve tag known-good`), as opposed to the gen-N tags
 * commitChanges writes with a generation. A name is checked before any work is done, and a tag is
 * never moved: creating one that appeared meanwhile fails.
 */
import { EvolveError } from "../kernel/errors.js";
import { gitdirOf, updateRef, writeObjects } from "./fs.js";
import { checkRefName, formatIdentity, tagObject, type Identity } from "./objects.js";
import { readRef, resolveRef } from "./read-tree.js";

/**
 * Refuse a tag name git would not take (`bad-ref-name`), one that would be ambiguous with a branch
 * or a full ref name (`bad-ref-name`), and one that exists (`tag-exists`).
 */
export async function checkNewTagName(dir: string, name: string): Promise<void> {
  try {
    checkRefName(name, "tag name");
  } catch (error) {
    if (!(error instanceof EvolveError)) throw error;
    throw new EvolveError("bad-ref-name", `${error.message} (letters, digits, . _ - and /; no .. or leading -)`, { name });
  }
  // `refs/heads/main` as a tag name makes refs/tags/refs/heads/main, and a tag named like a branch
  // makes the name ambiguous: git warns on each use and picks the tag.
  if (name.startsWith("refs/")) {
    throw new EvolveError("bad-ref-name", `tag name ${JSON.stringify(name)}: must be a short name, not a full ref (try ${JSON.stringify(name.split("/").pop())})`, { name });
  }
  if ((await readRef(dir, `refs/heads/${name}`)) !== undefined) {
    throw new EvolveError("bad-ref-name", `tag name ${JSON.stringify(name)}: a branch has that name, so the name would be ambiguous; pick another`, { name });
  }
  const existing = await readRef(dir, `refs/tags/${name}`);
  if (existing !== undefined) {
    const commit = await resolveRef(dir, `refs/tags/${name}`).catch(() => existing);
    throw new EvolveError("tag-exists", `tag ${name} already exists (on ${commit.slice(0, 10)}); pick another name or delete it with \`git tag -d ${name}\``, { tag: name, commit });
  }
}

/** What to tag. */
export interface NewTag {
  readonly name: string;
  /** The commit id to tag. */
  readonly commit: string;
  readonly message: string;
  /** Tagger (default `evolve <evolve@localhost>`, now). */
  readonly tagger?: Identity;
}

/** Write an annotated tag; fails (`branch-moved` on the tag ref) if a tag of that name appeared meanwhile. Returns the tag object id. */
export async function createAnnotatedTag(dir: string, tag: NewTag): Promise<string> {
  checkRefName(tag.name, "tag name");
  const object = tagObject(tag.commit, tag.name, formatIdentity(tag.tagger, "tagger"), tag.message);
  const gitdir = await gitdirOf(dir);
  const ref = `refs/tags/${tag.name}`;
  await writeObjects(gitdir, [object]);
  await updateRef(gitdir, ref, object.oid, null, () => readRef(dir, ref));
  return object.oid;
}
