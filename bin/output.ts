/**
 * Terminal output shared by the commands: where human text goes (stderr when stdout is reserved for
 * one JSON object), colours only on a terminal, and the exit codes users and scripts rely on.
 */
import pc from "picocolors";
import { EvolveError, kindOf } from "../kernel/errors.js";

/** 0 ok; 1 the job failed; 2 the user's input (files, flags, workspace state) was refused. */
export const EXIT = { ok: 0, failed: 1, input: 2 } as const;

export interface Out {
  /** Human-readable line (stderr in --json mode, so stdout stays one JSON object). */
  say(line: string): void;
  /** The final machine-readable object. */
  json(value: unknown): void;
  readonly isJson: boolean;
  readonly isTTY: boolean;
}

export function output(json: boolean): Out {
  const human = json ? process.stderr : process.stdout;
  return {
    isJson: json,
    isTTY: human.isTTY === true,
    say: (line) => human.write(`${line}\n`),
    json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

export const c = pc;

/** Prints a failure the way a user can act on it and sets the exit code; never throws. */
export function fail(error: unknown): void {
  if (error instanceof EvolveError) {
    // A refusal or a failure evolve understands (a model or server problem included): one line, no stack.
    process.stderr.write(`${pc.red("error:")} ${error.message}\n`);
    process.exitCode = kindOf(error) === "refused" ? EXIT.input : EXIT.failed;
    return;
  }
  const e = error as Error;
  process.stderr.write(`${pc.red("evolve failed:")} ${e?.stack ?? String(error)}\n`);
  process.exitCode = EXIT.failed;
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
