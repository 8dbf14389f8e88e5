/**
 * Fault localisation for parameters. A parameter is never executed, so it has no coverage of its own;
 * it inherits the suspiciousness of the statements that read it (`params.maxResults` in code makes
 * `"maxResults"` in agent/params.json as suspicious as the most suspicious statement that reads it).
 */
import { getLocation } from "jsonc-parser";
import type { FileMap } from "../kernel/files.js";
import type { StatementSite } from "./localise.js";

export const PARAMS_FILE = "agent/params.json";

export function paramWeight(
  files: FileMap,
  sites: readonly StatementSite[],
  susp: ReadonlyMap<number, number>,
  codeWeight: (file: string, offset: number) => number,
): (file: string, offset: number) => number {
  const text = files.get(PARAMS_FILE);
  if (text === undefined) return codeWeight;
  const byKey = new Map<string, number>();
  const keyWeight = (key: string): number => {
    let w = byKey.get(key);
    if (w === undefined) {
      const pattern = new RegExp(`\\.${key.replace(/[^A-Za-z0-9_$]/g, "\\$&")}\\b|\\[["']${key.replace(/[^A-Za-z0-9_$]/g, "\\$&")}["']\\]`);
      w = 0;
      for (const s of sites) {
        const source = files.get(s.file)?.slice(s.start, s.end) ?? "";
        if (pattern.test(source)) w = Math.max(w, susp.get(s.id) ?? 0);
      }
      byKey.set(key, w);
    }
    return w;
  };
  return (file, offset) => {
    if (file !== PARAMS_FILE) return codeWeight(file, offset);
    const key = getLocation(text, offset).path.filter((p): p is string => typeof p === "string").at(-1);
    return key === undefined ? 0 : keyWeight(key);
  };
}
