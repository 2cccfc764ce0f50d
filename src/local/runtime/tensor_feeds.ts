import type { Tensor } from "@huggingface/transformers";

/** Encoded token sequences, one per row of a batch (type ids where the model takes them). */
export interface EncodedSequence {
  inputIds: readonly number[];
  tokenTypeIds?: readonly number[];
}

export interface FeedOptions {
  TensorClass: typeof Tensor;
  /** The ONNX graph's inputs: `token_type_ids` is fed only where the graph takes it. */
  inputNames: readonly string[];
  padTokenId: number;
  /** Right for encoders; left for causal LMs, whose last position must be each row's last token. @default "right" */
  side?: "right" | "left";
}

/** Pads the batch's rows to its own longest row (attention mask 0 on pads) as int64 tensors. */
export function batchFeeds(encoded: readonly EncodedSequence[], batch: readonly number[], options: FeedOptions): Record<string, Tensor> {
  const width = Math.max(...batch.map((i) => encoded[i]!.inputIds.length));
  const size = batch.length * width;
  const inputIds = new BigInt64Array(size).fill(BigInt(options.padTokenId));
  const attentionMask = new BigInt64Array(size);
  const tokenTypeIds = new BigInt64Array(size);
  batch.forEach((index, row) => {
    const { inputIds: ids, tokenTypeIds: types } = encoded[index]!;
    const offset = row * width + (options.side === "left" ? width - ids.length : 0);
    for (let j = 0; j < ids.length; j++) {
      inputIds[offset + j] = BigInt(ids[j]!);
      attentionMask[offset + j] = 1n;
      tokenTypeIds[offset + j] = BigInt(types?.[j] ?? 0);
    }
  });
  const dims = [batch.length, width];
  const { TensorClass } = options;
  const feeds: Record<string, Tensor> = {
    input_ids: new TensorClass("int64", inputIds, dims),
    attention_mask: new TensorClass("int64", attentionMask, dims),
  };
  if (options.inputNames.includes("token_type_ids")) feeds.token_type_ids = new TensorClass("int64", tokenTypeIds, dims);
  return feeds;
}
