import { defineConfig } from "vitest/config";

// `npm run test:browser`: the example page in a real headless Chromium (see test/browser/).
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One browser, tests in order: later checks read what earlier ones recorded.
    fileParallelism: false,
  },
});
