/**
 * Long histories for the history benchmark, written fast: commits, trees and blobs by `git
 * fast-import`, the gen-N annotated tags as one pack of our own (indexed by `git index-pack`) and one
 * `packed-refs` file. fast-import's own `tag` command writes each tag as a loose ref, which took
 * minutes for 10,000 tags on this machine and would take most of an hour for 100,000.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { exampleFiles } from "../workspace/init.js";
import { formatMessage } from "../ledger/index.js";
import { TRAILER } from "../ledger/record.js";

/** Native git with a fixed identity and no user or system config, so every run writes the same history. */
export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "evolve",
  GIT_AUTHOR_EMAIL: "evolve@localhost",
  GIT_COMMITTER_NAME: "evolve",
  GIT_COMMITTER_EMAIL: "evolve@localhost",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

function run(cmd: string, args: readonly string[], cwd: string, input?: string | Buffer): string {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env: GIT_ENV, input, encoding: "utf8", maxBuffer: 1 << 30 });
  if (process.env["BENCH_TRACE"]) process.stderr.write(`${args[0]} ${Math.round(performance.now() - t0)} ms\n`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

/** An evolve-like commit message: subject, one body line, the trailers an accepted generation carries. */
export function generationMessage(n: number): string {
  const score = round(Math.min(1, 0.5 + n / 200_000), 6);
  return formatMessage(`evolve: gen ${n}: literal in agent/params.json`, `- agent/params.json: generation ${n - 1} -> ${n}`, [
    [TRAILER.generation, String(n)],
    [TRAILER.parentScore, String(score)],
    [TRAILER.score, String(score)],
    [TRAILER.delta, "+0"],
    [TRAILER.action, "parameter-adjustment"],
    [TRAILER.proposer, "builtin"],
    [TRAILER.operator, "param-adjust"],
    [TRAILER.fixed, "none"],
    [TRAILER.suiteHash, `sha256:${"0".repeat(64)}`],
    [TRAILER.model, "none"],
    [TRAILER.seed, "1"],
    [TRAILER.candidates, "32"],
    [TRAILER.metrics, JSON.stringify({ score, holdout: null, passed: 14, failed: 14, total: 28, evalMs: 40 })],
  ]);
}

/**
 * A workspace whose branch has generations 0..n, each tagged gen-N (annotated, in packed-refs with
 * the peeled commit, as `git pack-refs` leaves them). `state.txt` reads "good" before generation
 * `firstBad`, "bad" from it on. Generation 0 (the textkit example) goes through fast-import; the
 * others change agent/params.json, and their blobs, trees, commits and tags are written here as one
 * pack, which `git index-pack` checks and indexes.
 */
export function buildHistory(dir: string, n: number, firstBad: number): void {
  run("git", ["init", "-q", "-b", "main", dir], os.tmpdir());
  const when = 1_700_000_000;
  const chunks: Buffer[] = [];
  const put = (s: string) => chunks.push(Buffer.from(s, "utf8"));
  const data = (s: string) => put(`data ${Buffer.byteLength(s)}\n${s}\n`);
  put(`commit refs/heads/main\nauthor evolve <evolve@localhost> ${when} +0000\ncommitter evolve <evolve@localhost> ${when} +0000\n`);
  data(formatMessage("evolve: gen 0: initial agent", "", [[TRAILER.generation, "0"], [TRAILER.action, "init"]]));
  for (const [p, text] of exampleFiles("textkit")) {
    put(`M 100644 inline ${p}\n`);
    data(text);
  }
  put("M 100644 inline state.txt\n");
  data(firstBad > 0 ? "good\n" : "bad\n");
  put("done\n");
  run("git", ["fast-import", "--quiet", "--done"], dir, Buffer.concat(chunks));
  const gen0 = run("git", ["rev-parse", "main"], dir).trim();
  const rootEntries = lsTree(dir, gen0);
  const agentEntries = lsTree(dir, `${gen0}:agent`);
  const objects: Buffer[] = [];
  const add = (type: keyof typeof TYPE, content: Buffer): string => {
    objects.push(packEntry(TYPE[type], content));
    return createHash("sha1").update(`${type} ${content.length}\0`).update(content).digest("hex");
  };
  const bad = add("blob", Buffer.from("bad\n"));
  const commits = new Map<number, string>([[0, gen0]]);
  for (let g = 1; g <= n; g++) {
    const params = add("blob", Buffer.from(`{ "generation": ${g} }\n`));
    const agent = add("tree", treeOf(agentEntries, { "params.json": params }));
    const root = add("tree", treeOf(rootEntries, g >= firstBad ? { agent, "state.txt": bad } : { agent }));
    const t = when + g;
    const text = `tree ${root}\nparent ${commits.get(g - 1)}\nauthor evolve <evolve@localhost> ${t} +0000\ncommitter evolve <evolve@localhost> ${t} +0000\n\n${generationMessage(g)}`;
    commits.set(g, add("commit", Buffer.from(text)));
  }
  const refs: Array<[string, string, string]> = [];
  for (let g = 0; g <= n; g++) {
    const commit = commits.get(g)!;
    const tag = add("tag", Buffer.from(`object ${commit}\ntype commit\ntag gen-${g}\ntagger evolve <evolve@localhost> ${when + g} +0000\n\ngeneration ${g}\n`));
    refs.push([`refs/tags/gen-${g}`, tag, commit]);
  }
  const head = Buffer.alloc(12);
  head.write("PACK", 0, "latin1");
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(objects.length, 8);
  const body = Buffer.concat([head, ...objects]);
  run("git", ["index-pack", "--stdin"], dir, Buffer.concat([body, createHash("sha1").update(body).digest()]));
  refs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const lines = ["# pack-refs with: peeled fully-peeled sorted ", ...refs.flatMap(([ref, oid, commit]) => [`${oid} ${ref}`, `^${commit}`])];
  writeFileSync(path.join(dir, ".git", "packed-refs"), `${lines.join("\n")}\n`);
  writeFileSync(path.join(dir, ".git", "refs", "heads", "main"), `${commits.get(n)}\n`);
  run("git", ["reset", "--hard", "-q", "main"], dir);
}

const TYPE = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;

interface Entry {
  readonly mode: string;
  readonly name: string;
  readonly oid: string;
}

function lsTree(dir: string, treeish: string): Entry[] {
  return run("git", ["ls-tree", treeish], dir)
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => {
      const [meta, name] = line.split("\t");
      const [mode, , oid] = meta!.split(" ");
      return { mode: mode!.replace(/^0+/, ""), name: name!, oid: oid! };
    });
}

/** A tree object: `entries` (already in git's order) with the oids of `replace` swapped in. */
function treeOf(entries: readonly Entry[], replace: Readonly<Record<string, string>>): Buffer {
  return Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(replace[e.name] ?? e.oid, "hex")]));
}

function packEntry(type: number, content: Buffer): Buffer {
  const header: number[] = [];
  let size = content.length;
  let byte = (type << 4) | (size & 15);
  size = Math.floor(size / 16);
  while (size > 0) {
    header.push(byte | 0x80);
    byte = size & 0x7f;
    size = Math.floor(size / 128);
  }
  header.push(byte);
  return Buffer.concat([Buffer.from(header), deflateSync(content, { level: 1 })]);
}
