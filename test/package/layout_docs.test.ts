import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// docs/README.md ("Following one rerank") lists, per local family, the files a reader opens to follow one rerank.
// The list must be the code's: the static import graph (value imports, not type-only ones) from where the path
// starts, less the foundations every layer uses and load_errors.ts (read only by a failed load).
const FOUNDATIONS = [
  "src/errors.ts",
  "src/options.ts",
  "src/cancellation.ts",
  "src/results.ts",
  "src/rerank_input.ts",
  "src/local/loading/load_errors.ts",
];

const PATHS: Record<string, string[]> = {
  // A string model: CrossEncoderReranker → LazyHuggingFaceCrossEncoder → (import()) HuggingFaceCrossEncoder.
  "cross-encoder": [
    "src/compressors/cross_encoder_reranker.ts",
    "src/local/cross_encoder/lazy_huggingface_cross_encoder.ts",
    "src/local/cross_encoder/huggingface_cross_encoder.ts",
  ],
  "causal LM": ["src/compressors/cross_encoder_reranker.ts", "src/local/causal/huggingface_causal_cross_encoder.ts"],
  ColBERT: ["src/compressors/cross_encoder_reranker.ts", "src/local/colbert/colbert_cross_encoder.ts"],
};

const IMPORT = /^(?:import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)";/gms;

/** Files reached from `starts` through value imports (an import of types only loads nothing). */
function importClosure(starts: readonly string[]): string[] {
  const seen = new Set<string>();
  const stack = [...starts];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, typeOnly, names, specifier] of readFileSync(join(PROJECT_DIR, file), "utf8").matchAll(IMPORT)) {
      const braces = /\{([^}]*)\}/.exec(names!);
      const allTypes =
        braces !== null &&
        !names!.replace(braces[0], "").trim() &&
        braces[1]!.split(",").every((n) => n.trim() === "" || n.trim().startsWith("type "));
      if (typeOnly !== undefined || allTypes) continue;
      const target = normalize(join(dirname(file), specifier!.replace(/\.js$/, ".ts")));
      if (existsSync(join(PROJECT_DIR, target))) stack.push(relative(".", target));
    }
  }
  return [...seen];
}

/** The docs' list for `family`: "- **family** (…): `src/folder/` `a.ts`, `b.ts`; `src/other/` `c.ts`." */
function documentedFiles(family: string): string[] {
  const readme = readFileSync(join(PROJECT_DIR, "docs", "README.md"), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith(`- **${family}** (`));
  if (line === undefined) throw new Error(`docs/README.md lists no files for ${family}`);
  return line
    .slice(line.indexOf("):") + 2)
    .split(";")
    .flatMap((group) => {
      const [folder, ...files] = [...group.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      return files.map((file) => `${folder}${file}`);
    });
}

describe("docs/README.md's files per rerank path", () => {
  it.each(Object.keys(PATHS))("%s: the listed files are the path's import graph, and the count is stated", (family) => {
    const listed = documentedFiles(family);
    for (const file of listed) expect(existsSync(join(PROJECT_DIR, file)), file).toBe(true);
    const graph = importClosure(PATHS[family]!).filter((file) => !FOUNDATIONS.includes(file));
    expect([...listed].sort()).toEqual(graph.sort());
    const readme = readFileSync(join(PROJECT_DIR, "docs", "README.md"), "utf8");
    expect(readme).toContain(`- **${family}** (`);
    expect(readme.split("\n").find((l) => l.startsWith(`- **${family}** (`))).toContain(`, ${listed.length} files):`);
  });
});
