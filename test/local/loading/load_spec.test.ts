import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DTYPE_FILES, loadKey, type LoadSpec } from "../../../src/local/loading/load_spec.js";
import { locateModel as locateInBrowser } from "../../../src/local/loading/model_files.browser.js";
import { locateModel as locateInNode } from "../../../src/local/loading/model_files.js";
import { PROJECT_DIR } from "../../support/shared.js";

// transformers.js keeps its dtype → file table (DEFAULT_DTYPE_SUFFIX_MAPPING) internal; DTYPE_FILES names the same
// files, checked here against the table's source under the major this run uses.
const transformersDir =
  process.env.TRANSFORMERS_MAJOR === "4"
    ? join(PROJECT_DIR, ".ci", "transformers-v4", "node_modules", "@huggingface", "transformers")
    : join(PROJECT_DIR, "node_modules", "@huggingface", "transformers");

function suffixTable(): Record<string, string> {
  const source = readFileSync(join(transformersDir, "src", "utils", "dtypes.js"), "utf8");
  const table = /DEFAULT_DTYPE_SUFFIX_MAPPING = Object\.freeze\(\{([^}]*)\}\)/.exec(source)?.[1];
  if (table === undefined) throw new Error("DEFAULT_DTYPE_SUFFIX_MAPPING not found in transformers.js's dtypes.js");
  return Object.fromEntries([...table.matchAll(/\[DATA_TYPES\.(\w+)\]:\s*'([^']*)'/g)].map((m) => [m[1]!, m[2]!]));
}

const spec: LoadSpec = { model: "Xenova/bge-reranker-base", dtype: "q8", device: "cpu" };

describe("load_spec", () => {
  it("DTYPE_FILES names the file transformers.js loads for each dtype", () => {
    const suffixes = suffixTable();
    for (const [dtype, file] of Object.entries(DTYPE_FILES)) expect(file, dtype).toBe(`model${suffixes[dtype]}.onnx`);
    // Every dtype transformers.js has is offered, but for 4's 1- and 2-bit ones (no reranker ships them).
    expect(Object.keys(suffixes).filter((d) => !(d in DTYPE_FILES) && !/^q[12]/.test(d))).toEqual([]);
  });

  it("loadKey: the same load is one key; dtype, device, revision and session options make others", () => {
    const key = loadKey("Xenova/x", spec);
    expect(loadKey("Xenova/x", { ...spec, revision: "main" })).toBe(key);
    expect(loadKey("Xenova/x", { ...spec, cacheDir: "/tmp/c", progressCallback: () => undefined })).toBe(key);
    const others = [
      loadKey("Xenova/y", spec),
      loadKey("Xenova/x", { ...spec, dtype: "fp32" }),
      loadKey("Xenova/x", { ...spec, device: "auto" }),
      loadKey("Xenova/x", { ...spec, revision: "v2" }),
      loadKey("Xenova/x", { ...spec, sessionOptions: { intraOpNumThreads: 1 } }),
    ];
    expect(new Set([key, ...others]).size).toBe(6);
  });

  it("Node and the browser key a hub id with the one loadKey", async () => {
    expect((await locateInNode(spec)).key).toBe(loadKey(spec.model, spec));
    expect((await locateInBrowser(spec)).key).toBe(loadKey(spec.model, spec));
  });
});
