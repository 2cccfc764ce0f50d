import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..", "..");

/**
 * Resolves `langchain-rerank` to this repository's build through its package.json "exports", "browser" condition,
 * which is what Vite picks for an installed package. An app that installed langchain-rerank needs none of this.
 */
function thisPackage(): Plugin {
  const { name, exports } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, { browser?: { default: string } }>;
  };
  return {
    name: "this-package",
    enforce: "pre",
    resolveId(id) {
      if (id !== name && !id.startsWith(`${name}/`)) return null;
      const target = exports[`.${id.slice(name.length)}`]?.browser?.default;
      if (target === undefined) throw new Error(`${id} has no "browser" export in package.json`);
      return join(packageDir, target);
    },
  };
}

export default defineConfig({
  root: here,
  // Relative asset URLs, so the built page works from any folder it is served at.
  base: "./",
  plugins: [thisPackage()],
  build: {
    outDir: join(here, "dist"),
    emptyOutDir: true,
    target: "es2022",
    // onnxruntime-web's WASM runtime is ~20 MB: expected, not a warning.
    chunkSizeWarningLimit: 30_000,
  },
  // The dev server must not pre-bundle onnxruntime-web: its `new URL("….wasm", import.meta.url)` finds the WASM file.
  optimizeDeps: { exclude: ["onnxruntime-web", "@huggingface/transformers"] },
});
