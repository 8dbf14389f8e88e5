import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import SlowestFirst from "./test/sequencer.js";

// Tests spawn real git, real worker processes and the built CLI: the defaults (5 s) are for unit tests.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Vitest's default is one file at a time on 2 cores (cores - 1), yet these files spend much of
    // their time waiting on child processes, git and timers: two at once took the suite from about
    // 13 to 9 minutes on the 2-core CI machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowestFirst },
    // The suite is CPU-bound on 2 cores; re-importing ts-morph, TypeScript and esbuild in a fresh
    // module graph for every file cost 66 s of the 600 (17 s shared). Files that change the process
    // environment put it back (bad-input.test.ts).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
