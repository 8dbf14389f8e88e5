/**
 * Runs one attack the way a golden run measures a candidate (in-memory build, the sandbox, the
 * host's judging, the evaluation cache of a real repository) and looks for what must never happen:
 * an escape (a canary file written, a secret read, a connection made, a host global changed, a
 * cache entry over its bound), a judge desynchronisation (a sentinel case paired with another
 * case's output, or a trap case passing), and an unexpected end of the attack case.
 * Host hangs are measured by the caller (bench/hostile-suite.ts), which runs this in a child process.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { createEvaluator } from "../../golden-tests/evaluate.js";
import { loadSuite } from "../../golden-tests/index.js";
import { openEvalCache } from "../../ledger/eval-cache.js";
import type { CaseOutcome, Sandbox } from "../../sandbox/pool.js";
import type { Attack, Expected } from "./attack.js";

/** What one attack came to. */
export interface AttackResult {
  name: string;
  category: string;
  /** How the attack case ended: an outcome kind, "ok" or "build-refused". */
  ended: Expected;
  /** The attack case's error or the build's reason, cut to a line. */
  detail: string;
  escapes: string[];
  desyncs: string[];
  unexpected: string[];
  ms: number;
}

/** The canaries an attack may try to reach; set up once per process. */
export interface Canaries {
  dir: string;
  secretFile: string;
  secret: string;
  envSecret: string;
  port: number;
  connections: () => number;
  cacheRepo: string;
  close(): Promise<void>;
}

export async function setUpCanaries(scratch: string, envSecret: string, cacheRepo: string): Promise<Canaries> {
  const dir = join(scratch, "canary");
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(16).toString("hex");
  const secretFile = join(scratch, "secret.txt");
  writeFileSync(secretFile, secret);
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    dir,
    secretFile,
    secret,
    envSecret,
    port,
    connections: () => connections,
    cacheRepo,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SENTINEL = 'export function echo(s: string): string { return "echo:" + s; }\n';

/** The suite: sentinels around the attack, and a trap that passes only if outputs shift between cases. */
function suiteYaml(attack: Attack, args: unknown[], nonces: string[]): string {
  const echo = (id: string, n: string, want: string) =>
    `  - id: ${id}\n    tool: echo\n    args: [${JSON.stringify(n)}]\n    assert: [{ type: equals, value: ${JSON.stringify(want)} }]\n`;
  const [n0, n1, n2, n3, trap] = nonces as [string, string, string, string, string];
  return [
    "cases:\n",
    echo("sentinel-0", n0, `echo:${n0}`),
    `  - id: attack\n    tool: attack\n    args: ${JSON.stringify(args)}\n    assert: ${attack.assert ?? '[{ type: equals, value: "unreachable" }]'}\n`,
    echo("sentinel-1", n1, `echo:${n1}`),
    echo("sentinel-2", n2, `echo:${n2}`),
    // Its own output is echo:<trap>; it passes only when paired with sentinel-1's output.
    echo("trap", trap, `echo:${n1}`),
    echo("sentinel-3", n3, `echo:${n3}`),
  ].join("");
}

function substitute(args: unknown[], c: Canaries): unknown[] {
  const map: Record<string, unknown> = { $CANARY_DIR: c.dir, $SECRET_FILE: c.secretFile, $PORT: c.port };
  return args.map((a) => (typeof a === "string" && a in map ? map[a] : a));
}

function hostShape(): string {
  const g = globalThis as unknown as Record<string, unknown>;
  return JSON.stringify([Object.getOwnPropertyNames(Object.prototype), Object.getOwnPropertyNames(Array.prototype), Object.getOwnPropertyNames(g).sort()]);
}

// Outcomes can hold bigints, Maps and Sets: text enough to search for a secret.
function textOf(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v instanceof Map ? [...v] : v instanceof Set ? [...v] : v)) ?? "";
}

/** Run one attack against `sandbox`; nothing it does can throw out of here except a bug of ours. */
export async function runAttack(attack: Attack, sandbox: Sandbox, c: Canaries): Promise<AttackResult> {
  const t0 = performance.now();
  const shapeBefore = hostShape();
  const connectionsBefore = c.connections();
  const nonces = Array.from({ length: 5 }, () => randomBytes(6).toString("hex"));
  const files = new Map<string, string>([
    ["agent/tools/attack.ts", attack.source],
    ["agent/tools/sentinel.ts", SENTINEL],
    ["golden-tests/cases.yaml", suiteYaml(attack, substitute(attack.args ?? [], c), nonces)],
    ...Object.entries(attack.files ?? {}),
  ]);
  const suite = loadSuite(files);
  const evaluator = createEvaluator(suite, sandbox, { allowImports: [] });
  const result: AttackResult = { name: attack.name, category: attack.category, ended: "ok", detail: "", escapes: [], desyncs: [], unexpected: [], ms: 0 };
  const built = await evaluator.build(files);
  let outcomes: CaseOutcome[] = [];
  if (!built.ok) {
    result.ended = "build-refused";
    result.detail = built.reason.slice(0, 200);
  } else {
    const run = await evaluator.run(built.code);
    outcomes = run.outcomes;
    const attackOutcome = outcomes.find((o) => o.id === "attack");
    result.ended = attackOutcome === undefined ? "crash" : attackOutcome.ok ? "ok" : (attackOutcome.kind as Expected);
    if (attackOutcome !== undefined && !attackOutcome.ok) result.detail = attackOutcome.error.slice(0, 200);
    result.desyncs.push(...desyncsOf(outcomes, run.measurement.results, nonces));
    await checkCache(attack, run.measurement, c, result);
    const everything = textOf(outcomes) + textOf(run.measurement);
    if (everything.includes(c.secret)) result.escapes.push("the secret file's content reached the host");
    if (everything.includes(c.envSecret)) result.escapes.push("the host's environment reached the candidate");
  }
  const written = readdirSync(c.dir);
  if (written.length > 0) {
    result.escapes.push(`files appeared where nothing may write: ${written.join(", ")}`);
    for (const f of written) rmSync(join(c.dir, f), { recursive: true, force: true });
  }
  if (c.connections() !== connectionsBefore) result.escapes.push(`${c.connections() - connectionsBefore} connection(s) reached the canary port`);
  if (hostShape() !== shapeBefore) result.escapes.push("the host's globals or prototypes changed");
  if (!attack.expect.includes(result.ended)) result.unexpected.push(`the attack case ended ${result.ended}, expected ${attack.expect.join(" or ")}`);
  result.ms = Math.round(performance.now() - t0);
  return result;
}

/**
 * A sentinel's output must be its own echo (or a failure); a trap passes only with another case's
 * output. Either the other way round means results were paired with the wrong call.
 */
function desyncsOf(outcomes: CaseOutcome[], results: Array<{ id: string; pass: boolean }>, nonces: string[]): string[] {
  const found: string[] = [];
  // In the order suiteYaml gives them their nonces.
  const ids = ["sentinel-0", "sentinel-1", "sentinel-2", "sentinel-3", "trap"];
  const own = new Map(ids.map((id, i) => [id, `echo:${nonces[i]}`]));
  for (const o of outcomes) {
    const mine = own.get(o.id);
    if (mine === undefined || !o.ok) continue;
    if (o.output !== mine && [...own.values()].includes(o.output as string)) found.push(`${o.id} got another case's output ${String(o.output)}`);
  }
  if (results.find((r) => r.id === "trap")?.pass === true) found.push("the trap case passed: it was judged on another case's output");
  const order = outcomes.map((o) => o.id).join(",");
  if (order !== ["sentinel-0", "attack", "sentinel-1", "sentinel-2", "trap", "sentinel-3"].join(",")) found.push(`outcomes came back as ${order}`);
  return found;
}

async function checkCache(attack: Attack, measurement: unknown, c: Canaries, result: AttackResult): Promise<void> {
  const warnings: string[] = [];
  const cache = await openEvalCache(c.cacheRepo, { warn: (m) => warnings.push(m) });
  cache.set(attack.name, "suite", "none", measurement);
  await cache.flush();
  const line = Buffer.byteLength(JSON.stringify({ tree: attack.name, suite: "suite", model: "none", value: measurement }), "utf8");
  // Six cases with reasons of at most MAX_REASON_CHARS take a few kilobytes whatever the candidate
  // does; more means candidate text reached the cache unbounded.
  if (line > CACHE_ENTRY_CEILING || warnings.length > 0) result.escapes.push(`the cache entry is ${line} bytes (${warnings.join("; ") || `over ${CACHE_ENTRY_CEILING}`})`);
}

/** Far above what the suite's six cases can store (about 6 x 600 bytes), far below MAX_ENTRY_BYTES. */
const CACHE_ENTRY_CEILING = 64 * 1024;
