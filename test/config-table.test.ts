/**
 * The configuration table (workspace/config-keys.ts) is the one source of the schema, the defaults,
 * the commented default file and the README's table: each of those is checked against it here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { CONFIG_KEYS, sectionsOf } from "../workspace/config-keys.js";
import { renderConfigTable } from "../workspace/config-doc.js";
import { configSchema, DEFAULT_CONFIG, parseConfig, renderDefaultConfig } from "../workspace/config.js";
import { ROOT } from "./helpers.js";
import { buildProgram } from "../bin/program.js";

const README = path.join(ROOT, "README.md");
const START = "<!-- config-table: generated from workspace/config-keys.ts -->\n";
const END = "\n<!-- /config-table -->";

/** The value at a dotted key of a nested object, or undefined. */
function at(obj: unknown, key: string): unknown {
  return key.split(".").reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

describe("the configuration table", () => {
  test("the README's configuration table is the one generated from the key table", () => {
    const text = readFileSync(README, "utf8");
    const a = text.indexOf(START);
    const b = text.indexOf(END, a);
    expect(a, `README.md lacks the line ${START.trim()}`).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    const generated = renderConfigTable();
    if (process.env["UPDATE_README"] === "1") writeFileSync(README, text.slice(0, a + START.length) + generated + text.slice(b));
    else expect(text.slice(a + START.length, b), "README.md's configuration table differs from workspace/config-keys.ts; rerun with UPDATE_README=1").toBe(generated);
  });

  test("each key has one row, help, and either a default or an example", () => {
    const keys = CONFIG_KEYS.map((k) => k.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of CONFIG_KEYS) {
      expect(k.help.length, k.key).toBeGreaterThan(0);
      expect(k.default !== undefined || k.example !== undefined, k.key).toBe(true);
      expect(renderConfigTable()).toContain(`| \`${k.key}\` |`);
    }
    expect([...sectionsOf().keys()]).toEqual(["", "agent", "evolution", "improvement", "reflection", "safety", "monitoring", "interactions", "serve", "watch", "evaluation", "sandbox", "model", "history"]);
  });

  test("the defaults and the schema are the table's: every default validates, every key is in the schema", () => {
    const schema = configSchema();
    for (const k of CONFIG_KEYS) {
      const node = k.key.split(".").reduce<any>((n, seg) => n?.properties?.[seg], schema);
      expect(node, k.key).toBeDefined();
      if (k.default !== undefined) expect(at(DEFAULT_CONFIG, k.key), k.key).toEqual(k.default);
    }
  });

  test("the default file sets every key with a default, comments out the others, and parses back to the defaults", () => {
    const text = renderDefaultConfig("x");
    for (const k of CONFIG_KEYS) {
      const name = k.key.split(".").at(-1)!;
      expect(text, k.key).toMatch(new RegExp(`^ *${k.default === undefined ? "# " : ""}${name}: .*# ${k.help.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));
    }
    // The commented-out examples are valid too: uncommented, the file still parses.
    const uncommented = text.replace(/^( *)# (\w+: .*?)\s+#.*$/gm, "$1$2");
    const parsed = parseConfig(uncommented);
    for (const k of CONFIG_KEYS) if (k.example !== undefined) expect(at(parsed, k.key), k.key).toEqual(k.example);
  });

  test("every flag the table names exists on the commands it names", () => {
    const program = buildProgram({ stdout: () => {}, stderr: () => {}, cwd: ROOT });
    for (const k of CONFIG_KEYS) {
      for (const entry of k.flags ?? []) {
        const [commands, flag] = entry.split(": ");
        const long = flag!.split(", ").at(-1)!;
        for (const name of commands!.split(", ")) {
          const cmd = program.commands.find((c) => c.name() === name);
          expect(cmd, `${k.key}: no command ${name}`).toBeDefined();
          expect(cmd!.options.map((o) => o.long), `${k.key}: evolve ${name} has no ${long}`).toContain(long);
        }
      }
    }
  });

  test("reflection.interval takes generations or a duration", () => {
    expect(parseConfig("reflection: { interval: 3 }\n").reflection).toEqual({ interval: 3 });
    expect(parseConfig("reflection: { interval: 1h }\n").reflection).toEqual({ interval: 0, intervalMs: 3_600_000 });
    expect(parseConfig("reflection: { interval: 30m }\n").reflection.intervalMs).toBe(1_800_000);
    expect(() => parseConfig("reflection: { interval: soon }\n")).toThrow(/^evolve\.config\.yaml:1:25: reflection\.interval: "soon" is not a duration/);
    expect(() => parseConfig("reflection: { interval: -1 }\n")).toThrow(/^evolve\.config\.yaml:1:25: reflection\.interval: must be >= 0/);
  });

  test("globs that leave the workspace, do not close, or an empty evolvable list are refused with line and field", () => {
    expect(() => parseConfig("evolvable: ['../**']\n")).toThrow(/^evolve\.config\.yaml:1:13: evolvable\[0\]: "\.\.\/\*\*": a glob may not leave the workspace/);
    expect(() => parseConfig("evolvable: ['agent/x/../../..']\n")).toThrow(/may not leave the workspace/);
    expect(() => parseConfig("evolvable: ['agent/[']\n")).toThrow(/^evolve\.config\.yaml:1:13: evolvable\[0\]: "agent\/\[": invalid glob: a \[ is not closed$/);
    expect(() => parseConfig("protected: ['a/{b,c']\n")).toThrow(/protected\[0\]: "a\/\{b,c": invalid glob: a \{ is not closed$/);
    expect(() => parseConfig("evolvable: []\n")).toThrow(/^evolve\.config\.yaml:1:12: evolvable: must have at least 1 item/);
    expect(parseConfig("evolvable: ['agent/[ab].ts', 'agent/{a,b}/**']\n").evolvable).toHaveLength(2);
  });
});
