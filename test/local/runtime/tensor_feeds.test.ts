import { Tensor } from "@huggingface/transformers";
import { describe, expect, it } from "vitest";
import { batchFeeds } from "../../../src/local/runtime/tensor_feeds.js";

const encoded = [
  { inputIds: [101, 7, 102], tokenTypeIds: [0, 0, 0] },
  { inputIds: [101, 7, 8, 9, 102], tokenTypeIds: [0, 0, 1, 1, 1] },
];
const values = (tensor: Tensor | undefined) => Array.from(tensor!.data as BigInt64Array, Number);

describe("batchFeeds", () => {
  it("pads right to the batch's longest row, masks the pads and keeps the rows in batch order", () => {
    const feeds = batchFeeds(encoded, [1, 0], { TensorClass: Tensor, inputNames: ["input_ids", "attention_mask", "token_type_ids"], padTokenId: 0 });
    expect(feeds.input_ids!.dims).toEqual([2, 5]);
    expect(values(feeds.input_ids)).toEqual([101, 7, 8, 9, 102, 101, 7, 102, 0, 0]);
    expect(values(feeds.attention_mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(values(feeds.token_type_ids)).toEqual([0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  it("pads left for causal LMs, so each row's last token is at the last position", () => {
    const feeds = batchFeeds(encoded, [0, 1], { TensorClass: Tensor, inputNames: ["input_ids", "attention_mask"], padTokenId: 5, side: "left" });
    expect(values(feeds.input_ids)).toEqual([5, 5, 101, 7, 102, 101, 7, 8, 9, 102]);
    expect(values(feeds.attention_mask)).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("feeds token_type_ids only to a graph that takes them (XLM-R takes none)", () => {
    const feeds = batchFeeds(encoded, [0], { TensorClass: Tensor, inputNames: ["input_ids", "attention_mask"], padTokenId: 1 });
    expect(Object.keys(feeds).sort()).toEqual(["attention_mask", "input_ids"]);
  });
});
