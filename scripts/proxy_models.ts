import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

/**
 * A cross-encoder/ms-marco-MiniLM-L-12-v2-shaped proxy: the L-6 proxy's tokenizer and config with 12 layers (hidden
 * 384, 12 heads, intermediate 1536, as the real L-12). The same encoder shape as answerai-colbert-small-v1, so
 * the ColBERT benchmark compares like with like.
 */
export function ensureMiniLmL12Proxy(): string {
  const out = join(PROXY_DIR, "minilm-l12-proxy");
  if (existsSync(join(out, "onnx", "model_quantized.onnx")) && existsSync(join(out, "onnx", "model.onnx"))) return out;
  const tool = join(SHARED_DIR, "tools", "make-proxy-model.sh");
  if (!existsSync(tool)) throw new Error(`${tool} not found: the MiniLM-L12 proxy is built from ../shared beside the project.`);
  const source = join(PROXY_DIR, "minilm-l12-proxy-source");
  mkdirSync(source, { recursive: true });
  const tokenizer = join(SHARED_DIR, "models", "ms-marco-MiniLM-L-6-v2-tokenizer");
  for (const file of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]) {
    if (existsSync(join(tokenizer, file))) copyFileSync(join(tokenizer, file), join(source, file));
  }
  const config = JSON.parse(readFileSync(join(tokenizer, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(source, "config.json"), JSON.stringify({ ...config, num_hidden_layers: 12 }, null, 2));
  execFileSync(tool, [source, out], { stdio: ["ignore", "ignore", "inherit"] });
  return out;
}

/**
 * An answerai-colbert-small-v1-shaped ColBERT proxy (hidden 384, 12 layers, 1_Dense projection to 96, the real
 * BERT-uncased tokenizer), built by scripts/make-colbert-fixture.py --proxy (needs Debian's python3-onnx).
 */
export function ensureColbertProxy(): string {
  const out = join(PROXY_DIR, "colbert-small-proxy");
  const built = ["onnx/model.onnx", "onnx/model_quantized.onnx", "1_Dense/model.safetensors"].every((f) => existsSync(join(out, f)));
  if (built) return out;
  if (!existsSync(join(SHARED_DIR, "models", "ms-marco-MiniLM-L-6-v2-tokenizer"))) {
    throw new Error(`${SHARED_DIR}/models not found: the ColBERT proxy is built from ../shared's BERT tokenizer beside the project.`);
  }
  execFileSync("/usr/bin/python3", [join(PROJECT_DIR, "scripts", "make-colbert-fixture.py"), "--proxy", out], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return out;
}

/**
 * A BGE-reranker-base-shaped proxy: XLM-R (hidden 768, 12 layers, 12 heads, intermediate 3072, vocabulary 250,002,
 * 514 positions, 278M parameters) from scripts/bge-base-proxy-config.json. The real XLM-R tokenizer is not
 * available here, so it reads text with the ms-marco-MiniLM WordPiece tokenizer: English token counts are close
 * to XLM-R's, which is what decides the cost. About 1.4 GB on disk, built once into .models/.
 */
export function ensureBgeBaseProxy(): string {
  const out = join(PROXY_DIR, "bge-base-proxy");
  if (existsSync(join(out, "onnx", "model_quantized.onnx")) && existsSync(join(out, "onnx", "model.onnx"))) return out;
  const tool = join(SHARED_DIR, "tools", "make-proxy-model.sh");
  if (!existsSync(tool)) throw new Error(`${tool} not found: the BGE-base proxy is built from ../shared beside the project.`);
  const source = join(PROXY_DIR, "bge-base-proxy-source");
  mkdirSync(source, { recursive: true });
  const tokenizer = join(SHARED_DIR, "models", "ms-marco-MiniLM-L-6-v2-tokenizer");
  for (const file of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]) {
    if (existsSync(join(tokenizer, file))) copyFileSync(join(tokenizer, file), join(source, file));
  }
  copyFileSync(join(PROJECT_DIR, "scripts", "bge-base-proxy-config.json"), join(source, "config.json"));
  execFileSync(tool, [source, out], { stdio: ["ignore", "ignore", "inherit"] });
  return out;
}
