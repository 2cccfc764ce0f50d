import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// TRANSFORMERS_MAJOR=4 runs the suite against transformers.js 4, installed beside the project by .ci/run
// (.ci/transformers-v4), while the project's own devDependency stays on 3: the peer range accepts both.
const transformersV4 = process.env.TRANSFORMERS_MAJOR === "4";
const v4 = (path: string) => fileURLToPath(new URL(`./.ci/transformers-v4/node_modules/${path}`, import.meta.url));
// Its onnxruntime-node comes along: two onnxruntime builds cannot share a process (the tests' raw reference
// sessions would load the other one's shared library).
const v4Aliases = {
  "@huggingface/transformers": v4("@huggingface/transformers/dist/transformers.node.mjs"),
  "onnxruntime-node": v4("onnxruntime-node/dist/index.js"),
};

export default defineConfig({
  resolve: transformersV4 ? { alias: v4Aliases } : {},
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
