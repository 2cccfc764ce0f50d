import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { InvalidOptionError } from "../errors.js";
import { describeValue } from "../options.js";

// The project's test fixtures and benchmark proxies (scripts/make-fixture-models.py, ../shared/tools) have real
// shapes and random weights, and say so in their ONNX header (the producer name). Anything that prints scores or
// metrics of a model checks this first, so a random model's numbers are never read as quality.

/**
 * True when the model folder's ONNX file says it holds random weights (this project's test fixtures and benchmark
 * proxies do). Their scores, and the orders and metrics they produce, mean nothing about relevance. A hub id, or a
 * folder without `onnx/model_quantized.onnx` or `onnx/model.onnx`, gives false.
 *
 * @example
 * ```typescript
 * import { hasRandomWeights } from "langchain-rerank/eval";
 *
 * hasRandomWeights("test/fixtures/models/tiny-bert-reranker"); // true: a fixture
 * hasRandomWeights("Xenova/bge-reranker-base"); // false: a hub id is not read
 * ```
 */
export function hasRandomWeights(model: string): boolean {
  if (typeof model !== "string")
    throw new InvalidOptionError(`hasRandomWeights: \`model\` must be a model folder path, got ${describeValue(model)}.`);
  const file = ["model_quantized.onnx", "model.onnx"].map((f) => join(model, "onnx", f)).find((f) => existsSync(f));
  if (file === undefined) return false;
  const head = Buffer.alloc(256);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 256, 0);
  } finally {
    closeSync(fd);
  }
  return /random/i.test(head.toString("latin1"));
}
