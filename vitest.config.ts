import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real-browser tests run with `npm run test:browser` (vitest.browser.config.ts).
    exclude: ["test/browser/**", "**/node_modules/**"],
    // Model loads and onnxruntime sessions are slow on a 2-core CI machine; these are not wall-clock bounds.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default", "./test/support/summary_reporter.ts"],
  },
});
