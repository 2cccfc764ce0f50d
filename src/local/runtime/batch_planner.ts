/**
 * Batch limits for one forward pass. A batch is padded to its longest pair, so it costs about
 * `size × longest` tokens: the token budget keeps batches of long chunks small and lets short passages share.
 */
export interface BatchLimits {
  /** Most pairs in one forward pass. */
  batchSize: number;
  /** Most padded tokens (pairs × longest pair) in one forward pass; a single longer pair still runs alone. */
  maxBatchTokens: number;
}

/**
 * Measured on a 2-core CPU (bench/scorer.bench.ts, docs/benchmarks.md): a forward pass is fastest at about 400–500
 * padded tokens, i.e. one ~450-token SciFact abstract or four ~90-token TREC DL passages; bigger batches only add
 * padding and memory traffic to a CPU that one pass already keeps busy. GPUs want large batches.
 */
export const CPU_BATCH_LIMITS: BatchLimits = { batchSize: 16, maxBatchTokens: 512 };
/**
 * onnxruntime-web's WASM runs one thread (pages are rarely cross-origin isolated), so padding is pure waste there.
 * Measured in headless Chromium (bench/browser.bench.ts, docs/benchmarks.md) on short TREC DL passages, one pair
 * per pass beat the CPU limits on 9 of 10 queries (median 8% faster), and larger batches were slower still; long
 * passages already run one per pass under the CPU budget.
 */
export const WASM_BATCH_LIMITS: BatchLimits = { batchSize: 1, maxBatchTokens: 512 };
export const GPU_BATCH_LIMITS: BatchLimits = { batchSize: 64, maxBatchTokens: 65_536 };

/** Indices of pairs per batch: longest first, so each batch holds pairs of similar length and pads little. */
export function planBatches(lengths: readonly number[], limits: BatchLimits): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  let widest = 0;
  for (const index of order) {
    const width = Math.max(widest, lengths[index]!);
    if (current.length > 0 && (current.length >= limits.batchSize || (current.length + 1) * width > limits.maxBatchTokens)) {
      batches.push(current);
      current = [];
      widest = 0;
    }
    current.push(index);
    widest = Math.max(widest, lengths[index]!);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
