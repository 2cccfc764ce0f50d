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

// Slow and rarely broken: packing and installing the tarball, the ESM/CJS/browser builds, type-checking every
// @example, running every example script, property runs, parity on real-size proxies. `npm test` runs the "fast"
// project (under 10 minutes on 2 cores); `npm run test:slow` runs these; CI (.ci/run) runs both. A file named on
// the command line (`npx vitest run test/package/packed_install.test.ts`) runs whichever project holds it.
const SLOW = [
  "test/package/packed_install.test.ts",
  "test/package/dual_build.test.ts",
  "test/package/browser_bundle.test.ts",
  "test/package/jsdoc_examples.test.ts",
  "test/examples/demo.test.ts",
  "test/examples/examples.test.ts",
  "test/examples/recipes.test.ts",
  "test/examples/three_stage_pipeline.test.ts",
  "test/property/**",
  "test/parity/colbert.test.ts",
  "test/remote/secrets_everywhere.test.ts",
  "test/local/cross_encoder/huggingface_cross_encoder_proxy.test.ts",
  "test/local/loading/transformers_majors.test.ts",
];
// Real-browser tests run with `npm run test:browser` (vitest.browser.config.ts).
const EXCLUDE = ["test/browser/**", "**/node_modules/**"];

export default defineConfig({
  resolve: transformersV4 ? { alias: v4Aliases } : {},
  test: {
    projects: [
      { extends: true, test: { name: "fast", include: ["test/**/*.test.ts"], exclude: [...EXCLUDE, ...SLOW] } },
      { extends: true, test: { name: "slow", include: SLOW, exclude: EXCLUDE } },
    ],
    // Model loads and onnxruntime sessions are slow on a 2-core CI machine; these are not wall-clock bounds.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default", "./test/support/summary_reporter.ts"],
  },
});
