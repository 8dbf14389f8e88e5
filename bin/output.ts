/**
 * Terminal output shared by the commands: where human text goes (stderr when stdout is reserved for
 * one JSON object), colours only on a terminal, the exit codes users and scripts rely on, and the
 * one place errors become a line and an exit code (`fail`). Every write goes through the current
 * invocation's Io, so the whole command line can run in process (bin/main.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import pc from "picocolors";
import { EvolveError, kindOf, systemFault } from "../kernel/errors.js";
import { redact } from "../kernel/redact.js";
import { withWarningSink } from "../kernel/warn.js";

/** 0 ok; 1 the job failed; 2 the user's input (files, flags, workspace state) was refused. */
export const EXIT = { ok: 0, failed: 1, input: 2 } as const;

/**
 * Where one invocation of the command line reads and writes: the real process, or (tests, the
 * in-process bad-input suite) buffers. `cwd` resolves relative paths given on the command line.
 */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly cwd: string;
  readonly stdoutIsTTY?: boolean;
  readonly stderrIsTTY?: boolean;
  /** Colour each stream (absent: plain text, as buffers are not terminals whatever the environment says). */
  readonly color?: { readonly stdout: boolean; readonly stderr: boolean };
}

/**
 * Colour for one of the process's streams: NO_COLOR wins, FORCE_COLOR asks for it, otherwise only a
 * terminal gets it. Unlike picocolors' own guess, `CI` in the environment does not turn it on: a CI
 * log is read as plain text and scripts match its lines.
 */
function colorFor(isTTY: boolean): boolean {
  const env = process.env;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return isTTY && env["TERM"] !== "dumb";
}

/** The process's own streams. */
export const processIo = (): Io => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  cwd: process.cwd(),
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  color: { stdout: colorFor(process.stdout.isTTY === true), stderr: colorFor(process.stderr.isTTY === true) },
});

/** One run of `main`: its streams, whether stacks are shown, and the exit code it will return. */
export interface Invocation {
  readonly io: Io;
  readonly debug: boolean;
  exitCode: number;
}

const invocations = new AsyncLocalStorage<Invocation>();

/**
 * Run `body` as one invocation: output(), fail() and setExitCode() inside it (however deep, across
 * awaits) use its streams and exit code, so commands need no parameter for them and several
 * invocations can run in one process.
 */
export function withInvocation<T>(inv: Invocation, body: () => Promise<T>): Promise<T> {
  return invocations.run(inv, () => withWarningSink((text) => inv.io.stderr(text), body));
}

/** The current invocation, or one on the process's streams (code outside main, e.g. a test calling a command). */
function current(): Invocation {
  const inv = invocations.getStore();
  if (inv !== undefined) return inv;
  return { io: processIo(), debug: process.env["EVOLVE_DEBUG"] === "1", exitCode: 0 };
}

/** The working directory relative paths on the command line are resolved against. */
export function invocationCwd(): string {
  return invocations.getStore()?.io.cwd ?? process.cwd();
}

/** Sets the exit code of the current invocation (a command that reports a verdict, e.g. bisect's 125). */
export function setExitCode(code: number): void {
  const inv = invocations.getStore();
  if (inv !== undefined) inv.exitCode = code;
  else process.exitCode = code;
}

/** The exit code set so far (0 when none). */
export function exitCode(): number {
  return invocations.getStore()?.exitCode ?? Number(process.exitCode ?? 0);
}

export interface Out {
  /** Human-readable line (stderr in --json mode, so stdout stays one JSON object). */
  say(line: string): void;
  /** The final machine-readable object. */
  json(value: unknown): void;
  /** A line for stderr whatever the mode: warnings, progress, the id of what was recorded. */
  warn(line: string): void;
  /** Raw text on stdout (a snapshot), no newline added. */
  write(text: string): void;
  /** Raw text where human lines go (stderr in --json mode): an answer streaming token by token. */
  stream(text: string): void;
  readonly isJson: boolean;
  readonly isTTY: boolean;
}

export function output(json: boolean): Out {
  const { io } = current();
  return {
    isJson: json,
    isTTY: (json ? io.stderrIsTTY : io.stdoutIsTTY) === true,
    say: (line) => (json ? io.stderr : io.stdout)(`${line}\n`),
    json: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
    warn: (line) => io.stderr(`${line}\n`),
    write: (text) => io.stdout(text),
    stream: (text) => (json ? io.stderr : io.stdout)(text),
  };
}

type Colors = ReturnType<typeof pc.createColors>;
const plain = pc.createColors(false);
const colored = pc.createColors(true);

/** Colours for text bound for stdout, decided by the current invocation's streams (see `Io.color`). */
export const c: Colors = new Proxy(plain, { get: (_, key: keyof Colors) => (current().io.color?.stdout === true ? colored : plain)[key] });

/** Colours for text bound for stderr. */
const cErr = (): Colors => (current().io.color?.stderr === true ? colored : plain);

/**
 * The one place a failure becomes what the user sees and the exit code: an EvolveError (or a system
 * error such as a full disk or a denied permission) is one line with no stack, exit 2 when it
 * refuses input and 1 when a job failed (kernel/errors.ts decides which); anything else is a bug and
 * shows its stack. `--debug` (or EVOLVE_DEBUG=1) shows the stack of everything. Never throws.
 */
export function fail(error: unknown): void {
  const inv = current();
  const say = (text: string): void => inv.io.stderr(`${redact(text)}\n`);
  const system = systemError(error);
  if (error instanceof EvolveError || system !== null) {
    say(`${cErr().red("error:")} ${error instanceof EvolveError ? error.message : system}`);
    if (inv.debug) say(stackOf(error));
    setExitCode(kindOf(error) === "refused" ? EXIT.input : EXIT.failed);
    return;
  }
  say(`${cErr().red("evolve failed:")} ${stackOf(error)}`);
  setExitCode(EXIT.failed);
}

/** The stack of an error and of its causes. */
function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join("\ncaused by: ");
}

/** A machine fault (a full disk, a denied permission) as one line, naming the call and file; null for anything else. */
function systemError(error: unknown): string | null {
  const fault = systemFault(error);
  if (fault === null) return null;
  const { syscall, path: file } = error as NodeJS.ErrnoException;
  return `${fault}${syscall === undefined ? "" : ` in ${syscall}`}${file === undefined ? "" : ` on ${file}`}`;
}

export function fixed(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined ? "-" : x.toFixed(digits);
}

export function signed(x: number, digits = 4): string {
  return `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
}

/** Pads cells into aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell).length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - visible(cell).length))).join("  ")).join("\n");
}

function visible(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}
