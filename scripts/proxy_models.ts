import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Random-weight models of real shapes, built from ../shared's real tokenizers by ../shared/tools/make-proxy-model.sh
 * (needs Debian's python3-onnx). They serve load paths and speed; their scores mean nothing.
 */
export const PROJECT_DIR = fileURLToPath(new URL("..", import.meta.url));
export const SHARED_DIR = process.env.RERANK_SHARED_DIR ?? join(PROJECT_DIR, "..", "shared");
export const PROXY_DIR = join(PROJECT_DIR, ".models");
export const hasShared = existsSync(join(SHARED_DIR, "README.md"));

export function ensureMiniLmProxy(): string {
  const out = join(PROXY_DIR, "minilm-proxy");
  if (existsSync(join(out, "onnx", "model_quantized.onnx")) && existsSync(join(out, "onnx", "model.onnx"))) return out;
  const tool = join(SHARED_DIR, "tools", "make-proxy-model.sh");
  if (!existsSync(tool)) throw new Error(`${tool} not found: the MiniLM proxy is built from ../shared beside the project.`);
  execFileSync(tool, [join(SHARED_DIR, "models", "ms-marco-MiniLM-L-6-v2-tokenizer"), out], { stdio: ["ignore", "ignore", "inherit"] });
  return out;
}
