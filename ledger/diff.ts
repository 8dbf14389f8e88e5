import { applyPatch, formatPatch, parsePatch, structuredPatch } from "diff";
import { changedPaths, type FileMap } from "../kernel/files.js";

/**
 * A git-style unified diff from `base` to `next` (`diff --git a/p b/p`, `new file mode` /
 * `deleted file mode` headers, 3 lines of context), one patch per changed path in path order,
 * so `git apply` takes it. Empty string when nothing changed.
 */
export function unifiedDiff(base: FileMap, next: FileMap): string {
  const patches: string[] = [];
  for (const path of changedPaths(base, next)) {
    const before = base.get(path);
    const after = next.get(path);
    const patch = structuredPatch(`a/${path}`, `b/${path}`, before ?? "", after ?? "", undefined, undefined, { context: 3 });
    if (before === undefined) {
      patches.push(formatPatch({ ...patch, oldFileName: "/dev/null", isGit: true, isCreate: true, newMode: "100644" }));
    } else if (after === undefined) {
      patches.push(formatPatch({ ...patch, newFileName: "/dev/null", isGit: true, isDelete: true, oldMode: "100644" }));
    } else {
      patches.push(formatPatch({ ...patch, isGit: true }));
    }
  }
  return patches.join("");
}

/**
 * `diff` (as unifiedDiff writes it) applied to `files`, exactly (no fuzz): the patched files and the
 * paths it changed, or the first path whose hunks no longer fit.
 */
export function applyUnifiedDiff(files: FileMap, diff: string): { ok: true; files: FileMap; changed: string[] } | { ok: false; path: string } {
  const out = new Map(files);
  const changed: string[] = [];
  for (const patch of parsePatch(diff)) {
    const deleted = patch.isDelete === true || patch.newFileName === "/dev/null";
    const created = patch.isCreate === true || patch.oldFileName === "/dev/null";
    const path = (deleted ? patch.oldFileName : patch.newFileName)?.replace(/^[ab]\//, "") ?? "";
    const before = out.get(path);
    if (path === "" || (created ? before !== undefined : before === undefined)) return { ok: false, path };
    const after = applyPatch(before ?? "", patch);
    if (after === false) return { ok: false, path };
    if (deleted) out.delete(path);
    else out.set(path, after);
    changed.push(path);
  }
  return { ok: true, files: out, changed: changed.sort() };
}
