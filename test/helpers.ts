/** Test helpers: temp dirs, the built CLI, native git. Everything real; nothing mocked. */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { expect } from "vitest";
import { commitChanges, formatMessage } from "../ledger/index.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "dist", "bin", "evolve.js");

/** Native git needs an identity for the commits tests make themselves; never read the user's config. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: "test",
  GIT_AUTHOR_EMAIL: "test@localhost",
  GIT_COMMITTER_NAME: "test",
  GIT_COMMITTER_EMAIL: "test@localhost",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

export function tempDir(prefix = "evolve-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function evolve(args: readonly string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...GIT_ENV, NO_COLOR: "1", ...env },
    timeout: 240_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The CLI as a child process without blocking this process: tests whose fake model servers live in
 * this process must keep answering while the CLI runs. `input` is written to its stdin.
 */
export function evolveAsync(args: readonly string[], cwd: string, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** Parses the one JSON object a --json command prints on stdout. */
export function evolveJson<T = any>(args: readonly string[], cwd: string): T {
  const r = evolve([...args, "--json"], cwd);
  if (r.status !== 0) throw new Error(`evolve ${args.join(" ")} exited ${r.status}\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV } }).trim();
}

export function gitStatus(cwd: string, ...args: string[]): { status: number; out: string } {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV } });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Commit `changes` (path -> [from, to] text replacements in the current file) as generation `n`, tagged gen-n. */
export async function generation(ws: string, n: number, subject: string, edits: Record<string, Array<[string, string]>>): Promise<string> {
  const changes = new Map<string, string>();
  for (const [file, replacements] of Object.entries(edits)) {
    let text = readFileSync(path.join(ws, file), "utf8");
    for (const [from, to] of replacements) {
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
      text = text.replace(from, to);
    }
    changes.set(file, text);
  }
  const out = await commitChanges(ws, {
    branch: "main",
    parent: git(ws, "rev-parse", "HEAD"),
    changes,
    message: formatMessage(`evolve: gen ${n}: ${subject}`, "", [["Evolve-Generation", String(n)], ["Evolve-Action", "code-modification"]]),
    tagName: `gen-${n}`,
  });
  return out.commit;
}

/** `git fsck --strict` finds nothing: no error, warning, missing or broken object. */
export function fsckClean(dir: string): void {
  const r = gitStatus(dir, "fsck", "--strict");
  expect(r.status, r.out).toBe(0);
  expect(r.out).not.toMatch(/^(error|warning|missing|broken|bad)/m);
}

/** A provider stream's chunks, in order, and the completion it ends with. */
export async function collectStream<C>(gen: AsyncGenerator<string, C>): Promise<{ chunks: string[]; completion: C }> {
  const chunks: string[] = [];
  for (;;) {
    const step = await gen.next();
    if (step.done) return { chunks, completion: step.value };
    chunks.push(step.value);
  }
}
