import * as ort from "onnxruntime-node";
import type { EncodedPair } from "../../src/local/runtime/pair_encoder.js";

/**
 * Logits of a plain onnxruntime-node session fed exactly these token ids, one pair per run: the reference the scorer's
 * scores must equal. token_type_ids are fed only when the graph takes them (XLM-R rerankers do not).
 */
export async function rawSessionLogits(modelFile: string, encoded: readonly EncodedPair[]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(modelFile);
  const tensor = (values: number[]) => new ort.Tensor("int64", BigInt64Array.from(values, BigInt), [1, values.length]);
  const out: number[][] = [];
  try {
    for (const { inputIds, tokenTypeIds } of encoded) {
      const feeds: Record<string, ort.Tensor> = { input_ids: tensor(inputIds), attention_mask: tensor(inputIds.map(() => 1)) };
      if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = tensor(tokenTypeIds);
      const result = await session.run(feeds);
      out.push(Array.from(result.logits!.data as Float32Array));
    }
  } finally {
    await session.release();
  }
  return out;
}

/** The graph inputs of an ONNX file. */
export async function sessionInputNames(modelFile: string): Promise<readonly string[]> {
  const session = await ort.InferenceSession.create(modelFile);
  const names = [...session.inputNames];
  await session.release();
  return names;
}
