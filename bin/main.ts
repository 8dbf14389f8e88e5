/**
 * One invocation of the command line as a function: `main(argv, io)` parses `argv` (without the
 * `node evolve` prefix), runs the command, reports any error in one place and returns the exit
 * code. bin/evolve.ts calls it with the process's streams; tests call it in process with buffers.
 */
import { CommanderError } from "commander";
import { EXIT, fail, processIo, setExitCode, withInvocation, type Invocation, type Io } from "./output.js";
import { buildProgram } from "./program.js";

/** Runs one command line; resolves to its exit code (0 ok, 1 failed, 2 refused, or a command's verdict). */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const end = argv.indexOf("--");
  const debug = (end < 0 ? argv : argv.slice(0, end)).includes("--debug") || process.env["EVOLVE_DEBUG"] === "1";
  const inv: Invocation = { io, debug, exitCode: EXIT.ok };
  return withInvocation(inv, async () => {
    try {
      await buildProgram(io).parseAsync([...argv], { from: "user" });
    } catch (e) {
      // commander already printed its message; help and --version end with 0, usage errors are refusals.
      if (e instanceof CommanderError) setExitCode(e.exitCode === 0 ? EXIT.ok : EXIT.input);
      else fail(e);
    }
    return inv.exitCode;
  });
}
