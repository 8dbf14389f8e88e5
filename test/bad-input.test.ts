/**
 * The bad-input suite (issue 10, "Done when"): a table of malformed inputs — config and golden YAML
 * broken at many fields, bad flags, refs, ids, missing files, a locked workspace — each run through
 * the real command line in process (bin/main.ts, the same entry the executable uses) on a real
 * workspace repository. Every row must give: the documented exit code, exactly one line on stderr
 * that starts with `error:` and matches the row (naming file, line and field where there is one),
 * no stack trace, and not one byte changed under the workspace (work tree, .git refs, index,
 * objects, config and caches hashed before and after).
 */
import { createHash } from "node:crypto";
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../bin/main.js";
import type { Io } from "../bin/output.js";
import { CONFIG_KEYS, type ConfigKey } from "../workspace/config-keys.js";
import { withWorkspaceLock } from "../ledger/workspace-lock.js";
import { GIT_ENV, git, tempDir } from "./helpers.js";

/** One malformed input. `WS` in argv is replaced by the case's workspace directory. */
interface BadInput {
  name: string;
  argv: string[];
  /** Changes made (and committed, when `commit`) to a fresh copy of the textkit workspace first. */
  setup?: (ws: string) => void;
  /** Run main while the test holds the workspace lock (a concurrent writer). */
  locked?: boolean;
  exit: 1 | 2;
  /** What the one stderr line must say, after `error: `. */
  line: RegExp;
}

const tmp = tempDir("evolve-bad-input-");
const BASE = path.join(tmp.dir, "base");

/** Commits `files` (path -> text) on top of the workspace's HEAD with native git. */
function commitFiles(files: Record<string, string>): (ws: string) => void {
  return (ws) => {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
      writeFileSync(path.join(ws, file), text);
    }
    git(ws, "add", "-A");
    git(ws, "commit", "-qm", "malformed input");
  };
}

/** YAML setting one dotted key to `value` (a YAML scalar or flow text). */
function yamlAt(key: string, value: string): string {
  const parts = key.split(".");
  return `${parts.map((p, i) => `${"  ".repeat(i)}${p}:${i === parts.length - 1 ? ` ${value}` : ""}`).join("\n")}\n`;
}

/** A value of the wrong type for a key, and values past each of its bounds. */
function badValues(k: ConfigKey): string[] {
  const t = k.type;
  switch (t.kind) {
    case "version":
      return ["2", '"one"'];
    case "integer":
      return ['"many"', "1.5", ...(t.min === undefined ? [] : [String(t.min - 1)]), ...(t.max === undefined ? [] : [String(t.max + 1)])];
    case "number":
      return ['"lots"', ...(t.min === undefined ? [] : [String(t.min - 0.5)]), ...(t.max === undefined ? [] : [String(t.max + 0.5)]), ...(t.above === undefined ? [] : [String(t.above)])];
    case "boolean":
      return ['"maybe"'];
    case "string":
      return ["[1, 2]", ...(t.minLength ? ['""'] : [])];
    case "url":
      return ["42", '"not a url"'];
    case "enum":
      return ['"nope"'];
    case "list":
      return ['"not-a-list"', typeof t.of === "string" ? "[3]" : '["no-such-value"]'];
    case "generations-or-duration":
      return ["true", "-1", '"soon"'];
  }
}

/** Commands that read the committed config, rotated through so every one is seen refusing it. */
const CONFIG_READERS: string[][] = [["eval", "-C", "WS"], ["run", "-C", "WS", "--no-progress", "-g", "1"], ["tag", "ok", "-C", "WS", "-r", "1"], ["eval", "HEAD", "--suite-ref", "gen-0", "-C", "WS"]];

function configCases(): BadInput[] {
  const out: BadInput[] = [];
  let n = 0;
  for (const k of CONFIG_KEYS) {
    for (const v of badValues(k)) {
      const depth = k.key.split(".").length;
      const usable = CONFIG_READERS[n++ % CONFIG_READERS.length]!;
      out.push({
        name: `config ${k.key}: ${v} (${usable[0]})`,
        argv: usable,
        setup: commitFiles({ "evolve.config.yaml": yamlAt(k.key, v) }),
        exit: 2,
        line: new RegExp(`^evolve\\.config\\.yaml:${depth}:\\d+: ${k.key.replace(/\./g, "\\.")}`),
      });
    }
  }
  return out;
}

const GOLDEN = "golden-tests/zz.yaml";

/** A valid case, then a field replaced: the golden file's refusals name file, line and field. */
function goldenCase(fields: Record<string, string | null>): string {
  const base: Record<string, string | null> = { id: "zz-case", tool: "clamp", args: "[5, 0, 10]", ...fields };
  const lines = ["cases:"];
  let first = true;
  for (const [key, value] of Object.entries(base)) {
    if (value === null) continue;
    lines.push(`${first ? "  - " : "    "}${key}: ${value}`);
    first = false;
  }
  if (!("assert" in fields)) lines.push("    assert:", "      - type: equals", "        value: 5");
  return `${lines.join("\n")}\n`;
}

function goldenCases(): BadInput[] {
  const rows: [string, string, RegExp][] = [
    ["id is a list", goldenCase({ id: "[1]" }), /cases\[0\]\.id/],
    ["id missing", goldenCase({ id: null }), /cases\[0\]/],
    ["id repeats another file's", goldenCase({ id: "clamp-inside" }), /clamp-inside/],
    ["tool missing", goldenCase({ tool: null }), /cases\[0\]/],
    ["tool is a number", goldenCase({ tool: "5" }), /cases\[0\]\.tool/],
    ["weight negative", goldenCase({ weight: "-1" }), /cases\[0\]\.weight/],
    ["weight is text", goldenCase({ weight: "heavy" }), /cases\[0\]\.weight/],
    ["mustPass is text", goldenCase({ mustPass: '"yes"' }), /cases\[0\]\.mustPass/],
    ["split unknown", goldenCase({ split: "test" }), /cases\[0\]\.split/],
    ["tags not a list", goldenCase({ tags: "7" }), /cases\[0\]\.tags/],
    ["unknown case field", goldenCase({ expect: "5" }), /cases\[0\]/],
    ["assert missing", goldenCase({ assert: null }).replace(/\n {4}assert:[^]*$/, "\n"), /cases\[0\]/],
    ["assert empty", goldenCase({ assert: "[]" }), /cases\[0\]\.assert/],
    ["assert type unknown", goldenCase({ assert: "[{ type: nope, value: 1 }]" }), /cases\[0\]\.assert\[0\]/],
    ["assert value missing", goldenCase({ assert: "[{ type: equals }]" }), /cases\[0\]\.assert\[0\]/],
    ["regex does not compile", goldenCase({ assert: '[{ type: regex, value: "(" }]' }), /cases\[0\]\.assert\[0\]/],
    ["close-to on text", goldenCase({ assert: '[{ type: close-to, value: "x" }]' }), /cases\[0\]\.assert\[0\]/],
    ["javascript file missing", goldenCase({ assert: "[{ type: javascript, file: assertions/none.js }]" }), /cases\[0\]\.assert\[0\]/],
    ["cases not a list", "cases: 5\n", /cases/],
    ["unknown top-level key", "casez: []\n", /cases/],
    ["unclosed flow sequence", "cases: [\n", /invalid YAML/],
    ["tab indentation", "cases:\n\t- id: a\n", /invalid YAML/],
    ["two documents", "cases: []\n---\ncases: []\n", /invalid YAML/],
    ["dangling alias", "cases: *nowhere\n", /invalid YAML/],
    ["agent case without request", goldenCase({ tool: null, agent: "{ }" }), /cases\[0\]/],
  ];
  return rows.map(([name, text, field], i) => ({
    name: `golden ${name}`,
    argv: i % 2 === 0 ? ["eval", "-C", "WS"] : ["run", "-C", "WS", "--no-progress", "-g", "1"],
    setup: commitFiles({ [GOLDEN]: text }),
    exit: 2,
    line: new RegExp(`^golden-tests/(zz|numbers)\\.yaml:\\d+:\\d+: .*${field.source}`),
  }));
}

/** Flags, refs, ids and workspace states, on the unchanged textkit workspace unless set up. */
const OTHER_CASES: BadInput[] = [
  { name: "unknown option", argv: ["eval", "--bogus", "-C", "WS"], exit: 2, line: /unknown option '--bogus'/ },
  { name: "unknown command", argv: ["evolv"], exit: 2, line: /unknown command 'evolv'/ },
  { name: "missing argument", argv: ["rollback", "-C", "WS"], exit: 2, line: /missing required argument 'ref'/ },
  { name: "log -n 0", argv: ["log", "-n", "0", "-C", "WS"], exit: 2, line: /-n, --limit <n>.*whole number >= 1/ },
  { name: "log -n text", argv: ["log", "-n", "ten", "-C", "WS"], exit: 2, line: /whole number >= 1/ },
  { name: "run -g 0", argv: ["run", "-g", "0", "-C", "WS"], exit: 2, line: /--generations/ },
  { name: "run -s -1", argv: ["run", "-s", "-1", "-C", "WS"], exit: 2, line: /whole number >= 0|unknown option/ },
  { name: "run --proposer nope", argv: ["run", "--proposer", "nope", "-C", "WS"], exit: 2, line: /--proposer.*nope/ },
  { name: "attempts --gen -1", argv: ["attempts", "--gen", "x", "-C", "WS"], exit: 2, line: /whole number >= 0/ },
  { name: "tag --repeats 0", argv: ["tag", "ok", "-r", "0", "-C", "WS"], exit: 2, line: /whole number >= 1/ },
  { name: "reset --wait abc", argv: ["reset", "--to", "gen-0", "--wait", "abc", "-C", "WS"], exit: 2, line: /--wait "abc": expected a number of seconds/ },
  { name: "stats --by nope", argv: ["stats", "--by", "nope", "-C", "WS"], exit: 2, line: /--by.*nope/ },
  { name: "stats --since garbage", argv: ["stats", "--since", "yesterday-ish", "-C", "WS"], exit: 2, line: /--since: "yesterday-ish" is neither a duration/ },
  { name: "interactions --since garbage", argv: ["interactions", "--since", "soon", "-C", "WS"], exit: 2, line: /--since: "soon"/ },
  { name: "purge --before garbage", argv: ["interactions", "purge", "--before", "2026-02-30", "-C", "WS"], exit: 2, line: /--before: "2026-02-30"/ },
  { name: "feedback without verdict", argv: ["feedback", "1", "-C", "WS"], exit: 2, line: /--good|--bad|--rating/ },
  { name: "feedback id not a number", argv: ["feedback", "abc", "--good", "-C", "WS"], exit: 2, line: /abc/ },
  { name: "feedback unknown id", argv: ["feedback", "999", "--good", "-C", "WS"], exit: 2, line: /999/ },
  { name: "feedback rating 9", argv: ["feedback", "1", "--rating", "9", "-C", "WS"], exit: 2, line: /rating/ },
  { name: "interactions unknown id", argv: ["interactions", "999", "-C", "WS"], exit: 2, line: /999/ },
  { name: "promote unknown id", argv: ["promote", "999", "--yes", "-C", "WS"], exit: 2, line: /999/ },
  { name: "eval unknown ref", argv: ["eval", "nope", "-C", "WS"], exit: 2, line: /^revision "nope": no such branch, tag or commit$/ },
  { name: "eval --suite-ref unknown", argv: ["eval", "--suite-ref", "nope", "-C", "WS"], exit: 2, line: /^--suite-ref "nope"/ },
  { name: "eval --bisect without predicate", argv: ["eval", "--bisect", "-C", "WS"], exit: 2, line: /--bisect needs a predicate/ },
  { name: "eval --bisect --case unknown writes no cache", argv: ["eval", "--bisect", "--case", "unknown", "-C", "WS"], exit: 2, line: /^case "unknown" is not in the golden suite/ },
  { name: "eval --bisect --metric malformed", argv: ["eval", "--bisect", "--metric", "score<<1", "-C", "WS"], exit: 2, line: /metric|score<<1/ },
  { name: "eval --case and --metric", argv: ["eval", "--bisect", "--case", "a", "--metric", "score<1", "-C", "WS"], exit: 2, line: /either --case or --metric/ },
  { name: "show unknown ref", argv: ["show", "gen-99", "-C", "WS"], exit: 2, line: /gen-99/ },
  { name: "log --ref unknown", argv: ["log", "--ref", "nope", "-C", "WS"], exit: 2, line: /nope/ },
  { name: "attempts --base unknown", argv: ["attempts", "--base", "nope", "-C", "WS"], exit: 2, line: /^--base "nope"/ },
  { name: "rollback unknown ref", argv: ["rollback", "gen-9", "-C", "WS"], exit: 2, line: /gen-9/ },
  { name: "rollback gen-0 (no parent)", argv: ["rollback", "gen-0", "-C", "WS"], exit: 2, line: /gen-0|root|parent/ },
  { name: "reset --to unknown", argv: ["reset", "--to", "nope", "-C", "WS"], exit: 2, line: /^--to "nope"/ },
  { name: "bisect --good unknown", argv: ["bisect", "--good", "nope", "--bad", "HEAD", "--case", "clamp-inside", "-C", "WS"], exit: 2, line: /nope/ },
  { name: "bisect without predicate", argv: ["bisect", "--good", "gen-0", "--bad", "HEAD", "-C", "WS"], exit: 2, line: /--case|--metric/ },
  { name: "tag a full ref name", argv: ["tag", "refs/heads/main", "-C", "WS"], exit: 2, line: /must be a short name, not a full ref/ },
  { name: "tag an invalid name", argv: ["tag", "bad..name", "-C", "WS"], exit: 2, line: /bad\.\.name/ },
  { name: "tag an existing tag", argv: ["tag", "gen-0", "-C", "WS"], exit: 2, line: /gen-0/ },
  { name: "tag --ref unknown", argv: ["tag", "ok", "--ref", "nope", "-C", "WS"], exit: 2, line: /^--ref "nope"/ },
  { name: "-C and --workspace disagree", argv: ["log", "-C", "WS", "--workspace", "/"], exit: 2, line: /-C .* and --workspace .* name different workspaces/ },
  { name: "workspace does not exist", argv: ["log", "-C", "WS/nowhere"], exit: 2, line: /--workspace .*nowhere: no such directory/ },
  { name: "not a workspace (a plain directory)", argv: ["eval", "-C", "/"], exit: 2, line: /is not inside a workspace/ },
  { name: "run -C a subdirectory", argv: ["run", "-C", "WS/agent"], exit: 2, line: /is not a workspace/ },
  { name: "init an example into a non-empty directory", argv: ["init", "WS", "--example", "textkit"], exit: 2, line: /is not empty: --example needs a new or empty folder/ },
  { name: "init an unknown example", argv: ["init", "WS/new", "--example", "nope"], exit: 2, line: /no bundled example named "nope"/ },
  { name: "snapshot --target missing", argv: ["snapshot", "--target", "WS/nowhere", "-C", "WS"], exit: 2, line: /nowhere/ },
  { name: "ask with a model file that is missing", argv: ["ask", "hi", "--provider", "node-llama-cpp", "--model", "WS/none.gguf", "-C", "WS", "--no-record"], exit: 2, line: /none\.gguf/ },
  { name: "ask --base-url with credentials", argv: ["ask", "hi", "--provider", "ollama", "--model", "m", "--base-url", "http://me:hunter2@203.0.113.9:11434", "-C", "WS", "--no-record"], exit: 2, line: /^(?!.*hunter2).*\*\*\*@203\.0\.113\.9.*model\.allowRemote: true/ },
  { name: "ask --base-url not a URL", argv: ["ask", "hi", "--provider", "ollama", "--model", "m", "--base-url", "nota url", "-C", "WS", "--no-record"], exit: 2, line: /--base-url/ },
  { name: "doctor --provider unknown", argv: ["doctor", "--provider", "gpt", "-C", "WS"], exit: 2, line: /gpt/ },
  { name: "run on a dirty work tree", argv: ["run", "-C", "WS", "--no-progress", "-g", "1"], setup: (ws) => writeFileSync(path.join(ws, "agent/params.json"), "{}\n"), exit: 2, line: /uncommitted changes \(agent\/params\.json\)/ },
  { name: "rollback on a dirty work tree", argv: ["rollback", "HEAD", "-C", "WS"], setup: (ws) => writeFileSync(path.join(ws, "agent/prompts/system.md"), "changed\n"), exit: 2, line: /uncommitted changes/ },
  { name: "reset on a dirty work tree", argv: ["reset", "--to", "gen-0", "-C", "WS"], setup: (ws) => rmSync(path.join(ws, "agent/params.json")), exit: 2, line: /uncommitted changes in agent\/params\.json/ },
  { name: "run on a detached HEAD", argv: ["run", "-C", "WS", "--no-progress", "-g", "1"], setup: (ws) => git(ws, "checkout", "-q", "--detach", "HEAD"), exit: 2, line: /detached/i },
  { name: "eval a repository with no commits", argv: ["eval", "-C", "WS"], setup: (ws) => freshRepo(ws), exit: 2, line: /"HEAD": no such branch, tag or commit/ },
  { name: "run a repository with no commits", argv: ["run", "-C", "WS", "--no-progress"], setup: (ws) => freshRepo(ws), exit: 2, line: /cannot resolve revision "HEAD"/ },
  { name: "config not committed", argv: ["eval", "-C", "WS"], setup: (ws) => { git(ws, "rm", "-q", "evolve.config.yaml"); git(ws, "commit", "-qm", "no config"); writeFileSync(path.join(ws, "evolve.config.yaml"), ""); }, exit: 2, line: /evolve\.config\.yaml/ },
  { name: "config is not a mapping", argv: ["eval", "-C", "WS"], setup: commitFiles({ "evolve.config.yaml": "- a\n- b\n" }), exit: 2, line: /^evolve\.config\.yaml:1:1: / },
  { name: "config unknown key", argv: ["eval", "-C", "WS"], setup: commitFiles({ "evolve.config.yaml": "evolution:\n  generatons: 3\n" }), exit: 2, line: /^evolve\.config\.yaml:2:3: evolution\.generatons: .*unknown/ },
  { name: "config invalid YAML", argv: ["eval", "-C", "WS"], setup: commitFiles({ "evolve.config.yaml": "evolution: {generations: 3\n" }), exit: 2, line: /^evolve\.config\.yaml:\d+:\d+: invalid YAML/ },
  { name: "evolvable leaves the workspace", argv: ["run", "-C", "WS", "--no-progress"], setup: commitFiles({ "evolve.config.yaml": "evolvable: ['../**']\n" }), exit: 2, line: /^evolve\.config\.yaml:1:13: evolvable\[0\]: "\.\.\/\*\*": a glob may not leave the workspace/ },
  { name: "evolvable invalid glob", argv: ["run", "-C", "WS", "--no-progress"], setup: commitFiles({ "evolve.config.yaml": "evolvable: ['agent/[']\n" }), exit: 2, line: /evolvable\[0\]: "agent\/\[": invalid glob/ },
  { name: "evolvable empty", argv: ["run", "-C", "WS", "--no-progress"], setup: commitFiles({ "evolve.config.yaml": "evolvable: []\n" }), exit: 2, line: /^evolve\.config\.yaml:1:12: evolvable: must have at least 1 item/ },
  {
    name: "a golden case names a tool no module exports",
    argv: ["eval", "-C", "WS"],
    setup: (ws) => {
      const file = path.join(ws, "golden-tests/numbers.yaml");
      writeFileSync(file, readFileSync(file, "utf8").replace("tool: clamp\n", "tool: clampp\n"));
      git(ws, "commit", "-qam", "a typo in a tool name");
    },
    exit: 2,
    line: /^golden-tests\/numbers\.yaml:\d+: case "clamp-inside": tool "clampp" is not exported by any tool module/,
  },
  { name: "a concurrent writer holds the lock (run)", argv: ["run", "-C", "WS", "--no-progress", "-g", "1"], locked: true, exit: 2, line: /is writing to this workspace|lock/ },
  { name: "a concurrent writer holds the lock (tag)", argv: ["tag", "ok", "-C", "WS"], locked: true, exit: 2, line: /lock/ },
  { name: "a concurrent writer holds the lock (reset)", argv: ["reset", "--to", "gen-0", "-C", "WS"], locked: true, exit: 2, line: /lock/ },
];

/** Replaces the workspace by a git repository with the config file and no commit. */
function freshRepo(ws: string): void {
  const config = readFileSync(path.join(ws, "evolve.config.yaml"), "utf8");
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws);
  git(ws, "init", "-q", "-b", "main");
  writeFileSync(path.join(ws, "evolve.config.yaml"), config);
}

/** path -> hash of every file under `dir` (symlinks by target, never followed), .git included. */
function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      const st = lstatSync(path.join(dir, p));
      if (st.isDirectory()) walk(p);
      else out[p] = createHash("sha256").update(`${st.mode}\0`).update(st.isSymbolicLink() ? readlinkSync(path.join(dir, p)) : readFileSync(path.join(dir, p))).digest("hex").slice(0, 16);
    }
  };
  walk(".");
  return out;
}

function bufferIo(cwd: string): Io & { out: string; err: string } {
  const io = { out: "", err: "", cwd, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

const CASES: BadInput[] = [...configCases(), ...goldenCases(), ...OTHER_CASES];

describe("bad input", () => {
  // Test files share their worker's process (isolate: false): the environment is put back after.
  const saved = Object.fromEntries(Object.keys({ ...GIT_ENV, NO_COLOR: "" }).map((k) => [k, process.env[k]]));
  beforeAll(async () => {
    Object.assign(process.env, GIT_ENV, { NO_COLOR: "1" });
    const io = bufferIo(tmp.dir);
    expect(await main(["init", BASE, "--example", "textkit"], io), io.err).toBe(0);
  }, 60_000);
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    tmp.cleanup();
  });

  test("the table is at least 100 inputs", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
  });

  test("a damaged evaluation cache is one warning line, not a failure, and the run goes on", async () => {
    const ws = path.join(tmp.dir, "damaged-cache");
    cpSync(BASE, ws, { recursive: true, verbatimSymlinks: true });
    mkdirSync(path.join(ws, ".git/evolve"), { recursive: true });
    writeFileSync(path.join(ws, ".git/evolve/eval-cache.jsonl"), '{"broken\n');
    const io = bufferIo(tmp.dir);
    expect(await main(["eval", "-C", ws], io)).toBe(0);
    expect(io.out).toMatch(/score 0\.5625, holdout 0\.1429; 14\/28 pass\n$/);
    expect(io.err.trimEnd().split("\n")).toEqual([expect.stringMatching(/^warning: .*eval-cache\.jsonl: 1 unreadable line\(s\) \(first: line 1: invalid JSON/)]);
  }, 60_000);

  // Concurrent: each row has its own workspace copy, and main keeps each invocation's streams and
  // exit code apart (bin/output.ts), so rows overlap their waits on git and the disk.
  test.concurrent.each(CASES.map((c, i) => [i, c.name, c] as const))("%i %s", async (i, _name, c) => {
    const ws = path.join(tmp.dir, `case-${i}`);
    cpSync(BASE, ws, { recursive: true, verbatimSymlinks: true });
    c.setup?.(ws);
    const argv = c.argv.map((a) => a.replace(/^WS/, ws));
    const before = hashTree(ws);
    const io = bufferIo(tmp.dir);
    let code: number;
    if (c.locked) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let ready!: () => void;
      const holding = new Promise<void>((r) => (ready = r));
      const holder = withWorkspaceLock(ws, { command: "test holder" }, async () => {
        ready();
        await gate;
      });
      await holding;
      const locked = hashTree(ws);
      code = await main(argv, io);
      expect(hashTree(ws), "a refusal changes no byte").toEqual(locked);
      release();
      await holder;
    } else {
      code = await main(argv, io);
      expect(hashTree(ws), "a refusal changes no byte").toEqual(before);
    }
    const lines = io.err.trimEnd().split("\n");
    expect({ code, stderr: io.err }).toMatchObject({ code: c.exit });
    expect(lines, "exactly one line on stderr").toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]!.slice("error: ".length)).toMatch(c.line);
    expect(io.err).not.toMatch(/^\s+at |evolve failed/m);
    rmSync(ws, { recursive: true, force: true });
  }, 180_000); // generous: rows run concurrently, and this machine may be shared
});
