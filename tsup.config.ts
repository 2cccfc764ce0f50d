import { join } from "node:path";
import { defineConfig, type Options } from "tsup";

// The browser build swaps each `x.js` that has an `x.browser.ts` beside it (model files are URLs there, not paths).
const browserVariants: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "browser-variants",
  setup(build) {
    build.onResolve({ filter: /(?:^|\/)(model_files|answer_head_files)\.js$/ }, (args) => ({
      path: join(args.resolveDir, args.path.replace(/\.js$/, ".browser.ts")),
    }));
  },
};

// ESM + CJS builds with declarations; peers and dependencies stay external so users' copies are used.
// One entry per integration (as LangChain's packages do), so an import costs only what it uses. Splitting puts
// the modules the entries share (errors, results) in common chunks: an error thrown through one entry is
// `instanceof` the class another entry exports.
/** The importable entries, one per subpath export (package.json "exports"). */
const ENTRIES = {
  index: "src/index.ts",
  huggingface: "src/huggingface.ts",
  cohere: "src/cohere.ts",
  bm25: "src/bm25.ts",
  eval: "src/eval/index.ts",
  monitor: "src/monitor.ts",
  ai_sdk: "src/ai_sdk.ts",
};

export default defineConfig([
  {
    entry: {
      ...ENTRIES,
      // The package bins; their sources start with a #!/usr/bin/env node line, which esbuild keeps.
      "cli/rerank-eval": "src/eval/cli/cli.ts",
      "cli/rerank-convert-causal": "src/local/causal/convert_causal_cli.ts",
    },
    format: ["esm", "cjs"],
    // Declarations for the importable entries; the bins are run, not imported (and a #! line cannot head a .d.ts).
    dts: { entry: ENTRIES },
    sourcemap: true,
    target: "node20",
    platform: "node",
    splitting: true,
    // Never bundle a package: optional peers (cohere-ai, vega) must stay imports the user's install resolves.
    skipNodeModulesBundle: true,
    // dist/browser/ is the browser build's, emitted beside this one.
    clean: ["!browser/**"],
  },
  {
    // The entries meant for browsers, for the package.json "browser" condition: ESM only, no Node built-in.
    entry: {
      index: "src/index.ts",
      huggingface: "src/huggingface.ts",
      bm25: "src/bm25.ts",
      monitor: "src/monitor.ts",
      ai_sdk: "src/ai_sdk.ts",
    },
    outDir: "dist/browser",
    format: ["esm"],
    dts: false,
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "browser",
    splitting: true,
    skipNodeModulesBundle: true,
    esbuildPlugins: [browserVariants],
  },
]);
