import { defineConfig } from "tsup";

// ESM + CJS builds with declarations; peers and dependencies stay external so users' copies are used.
// One entry per integration (as LangChain's packages do), so an import costs only what it uses. Splitting puts
// the modules the entries share (errors, results) in common chunks: an error thrown through one entry is
// `instanceof` the class another entry exports.
export default defineConfig({
  entry: {
    index: "src/index.ts",
    huggingface: "src/huggingface.ts",
    cohere: "src/cohere.ts",
    eval: "src/eval/index.ts",
    // The rerank-eval CLI (package bin); its source starts with a #!/usr/bin/env node line, which esbuild keeps.
    "cli/rerank-eval": "src/eval/cli.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  splitting: true,
  // Never bundle a package: optional peers (cohere-ai, vega) must stay imports the user's install resolves.
  skipNodeModulesBundle: true,
});
