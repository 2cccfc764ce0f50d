import { defineConfig } from "tsup";

// ESM + CJS builds with declarations; peers and dependencies stay external so users' copies are used.
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  splitting: false,
});
