#!/usr/bin/env node
/**
 * The `evolve` executable: one invocation of main (bin/main.ts) on the process's own streams. The
 * interface is declared in bin/program.ts, so `evolve help` is the reference.
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
