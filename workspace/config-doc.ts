/**
 * What people read about the configuration, made from the key table (config-keys.ts): the
 * commented evolve.config.yaml `evolve init` writes, and the README's configuration table (a test
 * fails when the README's copy differs). Pure text; loads no validator.
 */
import { CONFIG_KEYS } from "./config-keys.js";
import type { ConfigKey, KeyType } from "./config-keys.js";

/** JSON scalars are valid YAML flow scalars, so JSON.stringify quotes safely; lists go inline. */
function yamlValue(x: unknown): string {
  return Array.isArray(x) ? `[${x.map((y) => JSON.stringify(y)).join(", ")}]` : JSON.stringify(x);
}

/** Column where the comments of the default file start (longer lines get two spaces). */
const COMMENT_COLUMN = 32;

/**
 * A complete evolve.config.yaml with every key at its default and a one-line comment each (keys
 * without a default are shown commented out). Parsing it gives DEFAULT_CONFIG with `agent.name` set.
 */
export function renderDefaultConfig(agentName: string, keys: readonly ConfigKey[] = CONFIG_KEYS): string {
  const rows: [string, string?][] = [["# evolve.config.yaml: how evolve may change this agent. Every key is optional and shown at its default."]];
  let open: string[] = [];
  // A section none of whose keys has a default (evaluation) is shown commented out whole: an
  // uncommented header over commented keys would parse as null.
  const live = new Set(keys.filter((k) => k.default !== undefined).flatMap((k) => k.key.split(".").slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join("."))));
  for (const k of keys) {
    const path = k.key.split(".");
    const parents = path.slice(0, -1);
    let same = 0;
    while (same < open.length && same < parents.length && open[same] === parents[same]) same++;
    if (same === 0 && (open.length > 0 || parents.length > 0 || k.note !== undefined) && rows.length > 1) rows.push([""]);
    for (let depth = same; depth < parents.length; depth++) {
      const commented = !live.has(parents.slice(0, depth + 1).join("."));
      rows.push(commented ? [`${"  ".repeat(depth)}# ${parents[depth]}:`, "optional: uncomment the section with its keys"] : [`${"  ".repeat(depth)}${parents[depth]}:`]);
    }
    open = parents;
    const indent = "  ".repeat(parents.length);
    if (k.note !== undefined) rows.push([`${indent}# ${k.note}`]);
    const name = path.at(-1)!;
    if (k.default === undefined) {
      rows.push([`${indent}# ${name}: ${yamlValue(k.example ?? "")}`, k.help]);
      continue;
    }
    const value = k.key === "agent.name" ? agentName : k.default;
    rows.push([`${indent}${name}: ${yamlValue(value)}`, k.help]);
  }
  return `${rows.map(([text, comment]) => (comment === undefined ? text : `${text.padEnd(COMMENT_COLUMN - 2)}  # ${comment}`)).join("\n")}\n`;
}

/** A key's type and bounds in words, for the README. */
export function describeType(t: KeyType): string {
  const bounds = (min?: number, max?: number, above?: number): string =>
    [min === undefined ? "" : `>= ${min}`, above === undefined ? "" : `> ${above}`, max === undefined ? "" : `<= ${max}`].filter((x) => x !== "").join(", ");
  switch (t.kind) {
    case "version":
      return "1";
    case "integer":
    case "number": {
      const b = bounds(t.min, t.max, t.kind === "number" ? t.above : undefined);
      return `${t.kind}${b === "" ? "" : ` ${b}`}`;
    }
    case "boolean":
      return "boolean";
    case "string":
      return t.minLength ? "text, not empty" : "text";
    case "url":
      return "URL";
    case "enum":
      return t.values.join(" | ");
    case "list":
      return t.of === "glob" ? `globs${t.minItems ? ", at least one" : ""}` : t.of === "string" ? "list of text" : `list of: ${t.of.join(", ")}`;
    case "generations-or-duration":
      return "integer >= 0, or a duration (30m, 1h, 7d)";
  }
}

/** The README's configuration table, one row per key: key, type and bounds, default, flag, help. */
export function renderConfigTable(keys: readonly ConfigKey[] = CONFIG_KEYS): string {
  const cell = (s: string): string => s.replace(/\|/g, "\\|");
  const rows = keys.map((k) => {
    const def = k.default === undefined ? "(none)" : `\`${yamlValue(k.default)}\``;
    const flags = (k.flags ?? []).map((f) => `\`${f}\``).join(", ");
    return `| \`${k.key}\` | ${cell(describeType(k.type))} | ${def} | ${flags} | ${cell(k.details === undefined ? k.help : `${k.help}; ${k.details}`)} |`;
  });
  return ["| key | type | default | flag | what it changes |", "|---|---|---|---|---|", ...rows].join("\n");
}
