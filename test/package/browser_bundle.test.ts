import { isBuiltin } from "node:module";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// The entries meant for browsers, bundled as a browser app would bundle them: through the package's own "exports"
// (esbuild resolves the package's self-reference with the "browser" condition), every dependency included
// (@langchain/core, @huggingface/transformers' web build, onnxruntime-web). A Node built-in anywhere fails the build
// or shows up among the imports checked below.
async function bundle(source: string, splitting = false): Promise<Metafile> {
  const result = await build({
    stdin: { contents: source, resolveDir: PROJECT_DIR, sourcefile: "app.mjs", loader: "js" },
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    outdir: "out",
    splitting,
    // Not the project's tsconfig: its "paths" map the package's name to src/ for the examples; an app resolves dist/.
    tsconfigRaw: {},
  });
  return result.metafile;
}

function nodeImports(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const imported of input.imports) if (imported.path.startsWith("node:") || isBuiltin(imported.path)) found.add(imported.path);
  }
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) if (imported.path.startsWith("node:") || isBuiltin(imported.path)) found.add(imported.path);
  }
  return [...found];
}

describe("browser bundles of the dist entries", () => {
  it("langchain-rerank, /huggingface, /bm25 and /monitor bundle with --platform=browser and no Node built-in", async () => {
    const metafile = await bundle(`
      import { CrossEncoderReranker, RelevanceThresholdFilter, isCrossEncoder } from "langchain-rerank";
      import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";
      import { OkapiBm25Retriever } from "langchain-rerank/bm25";
      import { RerankMonitor } from "langchain-rerank/monitor";
      console.log(CrossEncoderReranker, RelevanceThresholdFilter, isCrossEncoder, OkapiBm25Retriever, new HuggingFaceCrossEncoder(), new RerankMonitor());
    `);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain("dist/browser/index.js");
    expect(inputs).toContain("dist/browser/huggingface.js");
    expect(inputs).toContain("dist/browser/bm25.js");
    expect(inputs).toContain("dist/browser/monitor.js");
    expect(inputs.filter((path) => path.startsWith("dist/") && !path.startsWith("dist/browser/"))).toEqual([]);
    // transformers.js's web build and onnxruntime-web, not their Node builds.
    expect(inputs).toContain("node_modules/@huggingface/transformers/dist/transformers.web.js");
    expect(inputs.some((path) => path.startsWith("node_modules/onnxruntime-node/"))).toBe(false);
    expect(nodeImports(metafile)).toEqual([]);
  });

  it("the root entry alone loads no model runtime until a model is asked for", async () => {
    const metafile = await bundle(`import { CrossEncoderReranker } from "langchain-rerank"; console.log(CrossEncoderReranker);`, true);
    // What the page loads up front: the entry chunk and the chunks it imports statically (lazy chunks load on demand).
    const upFront = new Set<string>();
    const visit = (chunk: string): void => {
      if (upFront.has(chunk)) return;
      upFront.add(chunk);
      for (const imported of metafile.outputs[chunk]!.imports) if (imported.kind === "import-statement") visit(imported.path);
    };
    visit(Object.keys(metafile.outputs).find((chunk) => metafile.outputs[chunk]!.entryPoint !== undefined)!);
    const loaded = [...upFront].flatMap((chunk) => Object.keys(metafile.outputs[chunk]!.inputs));
    expect(loaded).toContain("dist/browser/index.js");
    expect(loaded.filter((path) => path.includes("@huggingface/transformers") || path.includes("onnxruntime"))).toEqual([]);
    expect(nodeImports(metafile)).toEqual([]);
  });
});
