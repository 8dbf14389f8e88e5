#!/usr/bin/env node
/**
 * The `evolve` executable: one invocation of main (bin/main.ts) on the process's own streams. The
 * interface is declared in bin/program.ts, so `evolve help` is the reference.
 */
import { main } from "./main.js";

// A reader that went away (`evolve log | head`) ends the command quietly, as git does, instead of an
// unhandled EPIPE with a stack. Ending mid-run is as safe as a kill: a commit is written whole or
// not at all, and the lock of a dead process is stale.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
}

process.exitCode = await main(process.argv.slice(2));
