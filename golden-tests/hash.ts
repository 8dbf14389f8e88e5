import { createHash } from "node:crypto";
import type { FileMap } from "../kernel/files.js";

/** Paths of `files` that lie under folder `dir`, sorted (code-unit order, stable across platforms). */
export function filesUnder(files: FileMap, dir: string): string[] {
  const prefix = `${dir.replace(/\/+$/, "")}/`;
  return [...files.keys()].filter((p) => p.startsWith(prefix)).sort();
}

/**
 * "sha256:<hex>" over every file under `dir`: path and content, each length-prefixed so no two
 * different folders can produce the same byte stream. Editing a custom assertion changes it too.
 */
export function suiteHash(files: FileMap, dir = "golden-tests"): string {
  const h = createHash("sha256");
  for (const path of filesUnder(files, dir)) {
    const content = files.get(path) ?? "";
    h.update(`${Buffer.byteLength(path)}:${path}\n${Buffer.byteLength(content)}:`);
    h.update(content);
    h.update("\n");
  }
  return `sha256:${h.digest("hex")}`;
}
