import { matmul, Tensor } from "@huggingface/transformers";
import type { MatMul, TokenVectors } from "../../src/local/colbert/token_vectors.js";

/** onnxruntime's MatMul through transformers.js, as the loader hands it to the scorer. */
export const ortMatMul: MatMul = async (a, rows, inner, b, cols) =>
  (await matmul(new Tensor("float32", a, [rows, inner]), new Tensor("float32", b, [inner, cols]))).data as Float32Array;

/** MaxSim written plainly: one query vector at a time, each dot product summed in order (float64). */
export function plainMaxSim(query: Float32Array, queryCount: number, doc: TokenVectors): number {
  if (doc.count === 0) return 0;
  let total = 0;
  for (let q = 0; q < queryCount; q++) {
    let best = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < doc.count; t++) {
      let dot = 0;
      for (let k = 0; k < doc.dim; k++) dot += query[q * doc.dim + k]! * doc.data[t * doc.dim + k]!;
      if (doc.scales !== undefined) dot *= doc.scales[t]!;
      if (dot > best) best = dot;
    }
    total += best;
  }
  return total;
}
