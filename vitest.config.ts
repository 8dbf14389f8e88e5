import { defineConfig } from "vitest/config";

// Tests spawn real git, real worker processes and the built CLI: the defaults (5 s) are for unit tests.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
