import { formatPatch, structuredPatch } from "diff";
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
