import { defineConfig } from "tsup";

// ESM + CJS builds with declarations; peers and dependencies stay external so users' copies are used.
export default defineConfig({
  // The rerank-eval CLI (package bin); its source starts with a #!/usr/bin/env node line, which esbuild keeps.
  entry: { index: "src/index.ts", "cli/rerank-eval": "src/eval/cli.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  splitting: false,
});
