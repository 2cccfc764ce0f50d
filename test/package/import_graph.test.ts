import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// The root entry (`langchain-rerank`) serves apps that rerank with Cohere or a server too, so its static import
// graph must not carry the local-model stack (transformers.js loading, model folders, ONNX sessions): a string
// model reaches HuggingFaceCrossEncoder through a dynamic import(), which bundlers split off and Node loads on
// first use. This walks the built files' static imports only, as a bundler's initial chunk does.

const DIST = join(PROJECT_DIR, "dist");

// Static imports of a sibling file: ESM `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`, and
// the CJS build's top-level `var x = require('./x.cjs');` (a dynamic import there is a require inside a promise).
const ESM_STATIC = /^(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](\.{1,2}\/[^"']+)["']/gm;
const CJS_STATIC = /^(?:var [\w$]+ = )?require\(["'](\.{1,2}\/[^"']+)["']\);?$/gm;

/** Code that loads local models: the transformers.js import and its loading calls. */
const LOCAL_MODEL_CODE = [/["']@huggingface\/transformers["']/, /\bfrom_pretrained\b/, /AutoModelForSequenceClassification/];

function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const pattern of [ESM_STATIC, CJS_STATIC]) {
      for (const match of text.matchAll(pattern)) pending.push(join(dirname(file), match[1]!));
    }
  }
  return [...seen];
}

// Static imports of a package (a bare specifier), in either build.
const ESM_PACKAGE = /^(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^./"'][^"']*)["']/gm;
const CJS_PACKAGE = /^(?:var [\w$]+ = )?require\(["']([^./"'][^"']*)["']\);?$/gm;

/** The packages (and Node built-ins) that `entry`'s static graph imports. */
function packageImports(entry: string): string[] {
  const found = new Set<string>();
  for (const file of staticGraph(entry)) {
    const text = readFileSync(file, "utf8");
    for (const pattern of [ESM_PACKAGE, CJS_PACKAGE]) for (const match of text.matchAll(pattern)) found.add(match[1]!);
  }
  return [...found].sort();
}

function localModelFiles(entry: string): string[] {
  return staticGraph(entry)
    .filter((file) => LOCAL_MODEL_CODE.some((marker) => marker.test(readFileSync(file, "utf8"))))
    .map((file) => relative(DIST, file));
}

describe("the root entry's static import graph in dist/ (`npm test` builds it; run `npm run build` first otherwise)", () => {
  it.each(["index.js", "index.cjs", "browser/index.js"])("dist/%s carries no local-model loading code", (entry) => {
    expect(existsSync(join(DIST, entry)), `dist/${entry} is missing: run npm run build`).toBe(true);
    const graph = staticGraph(join(DIST, entry));
    expect(graph.length).toBeGreaterThan(1); // the walk follows the chunks the entry imports
    expect(localModelFiles(join(DIST, entry))).toEqual([]);
  });

  // The AI SDK adapter serves apps that may have no LangChain and rerank with a server only: its static graph holds
  // no local-model code (localReranking imports it on first use), and only @ai-sdk/provider's types, so neither
  // `ai` nor `@ai-sdk/*` is loaded by the entry, nor is @langchain/core.
  it.each(["ai_sdk.js", "ai_sdk.cjs", "browser/ai_sdk.js"])("dist/%s carries no local-model code and loads no package at all", (entry) => {
    expect(existsSync(join(DIST, entry)), `dist/${entry} is missing: run npm run build`).toBe(true);
    expect(localModelFiles(join(DIST, entry))).toEqual([]);
    expect(packageImports(join(DIST, entry))).toEqual([]);
  });

  it("packageImports finds the packages a graph loads (the root entry's @langchain/core)", () => {
    expect(packageImports(join(DIST, "index.js"))).toContain("@langchain/core/retrievers/document_compressors");
    expect(packageImports(join(DIST, "index.cjs"))).toContain("@langchain/core/retrievers/document_compressors");
  });

  it("the /huggingface entry does carry it, so the markers are the right ones", () => {
    expect(localModelFiles(join(DIST, "huggingface.js")).length).toBeGreaterThan(0);
    expect(localModelFiles(join(DIST, "browser", "huggingface.js")).length).toBeGreaterThan(0);
    expect(localModelFiles(join(DIST, "huggingface.cjs")).length).toBeGreaterThan(0);
  });
});

// Imports between src/ files, type-only ones included: a circle makes the layering unreadable and lets a type
// change ripple both ways (issue 17: huggingface_loader.ts and model_files.ts imported each other).
const SRC = join(PROJECT_DIR, "src");
const SOURCE_IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']/g;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith(".ts") ? [join(folder, entry.name)] : [],
  );
}

function importCircles(): string[] {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    graph.set(
      file,
      [...text.matchAll(SOURCE_IMPORT)].map((m) => join(dirname(file), m[1]!).replace(/\.js$/, ".ts")),
    );
  }
  const state = new Map<string, "open" | "done">();
  const circles: string[] = [];
  const visit = (file: string, path: string[]) => {
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") circles.push([...path.slice(path.indexOf(next)), file, next].map((f) => relative(SRC, f)).join(" → "));
      else if (!state.has(next)) visit(next, [...path, file]);
    }
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, []);
  return circles;
}

describe("src/ imports", () => {
  it("form no circle, counting `import type`", () => {
    expect(importCircles()).toEqual([]);
  });
});
