import { describe, expect, it } from "vitest";
import { CrossEncoderRerankingModel, crossEncoderReranking, localReranking } from "../../src/ai_sdk.js";
import { type CrossEncoder, InvalidOptionError } from "../../src/index.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";

// rerank_parity.test.ts runs both through rerank(); this holds their construction.
describe("localReranking and crossEncoderReranking", () => {
  it("localReranking needs a model id, imports nothing until used, and hands its options to the cross-encoder", async () => {
    expect(() => localReranking(undefined as never)).toThrow(
      new InvalidOptionError('localReranking: `modelId` is required: a hub id such as "Xenova/bge-reranker-base" or a model folder.'),
    );
    expect(() => localReranking("")).toThrow(InvalidOptionError);
    // Settings that are not an options object are refused with the right form, never spread as one.
    expect(() => localReranking(FIXTURE_RERANKER, "fast" as never)).toThrow(
      /localReranking: options must be an object such as \{ dtype: "q8" \}, got a string/,
    );
    expect(() => crossEncoderReranking({ score: async () => [] }, [] as never)).toThrow(/crossEncoderReranking: options must be an object/);
    const model = localReranking(FIXTURE_RERANKER, { dtype: "fp32", maxChunksPerDoc: 3, documentText: (d) => String(d.text) });
    expect(model).toBeInstanceOf(CrossEncoderRerankingModel);
    expect([model.provider, model.modelId]).toEqual(["langchain-rerank", FIXTURE_RERANKER]);
    await model.model.load();
    const built = await (model.model as unknown as { scorer(): Promise<{ dtype: string; maxChunksPerDoc: number }> }).scorer();
    expect([built.dtype, built.maxChunksPerDoc]).toEqual(["fp32", 3]);
    await model.model.dispose();
    // A bad option of the cross-encoder's is its own InvalidOptionError, on the first use.
    const bad = localReranking(FIXTURE_RERANKER, { batchSize: 0 });
    await expect(bad.doRerank({ documents: { type: "text", values: ["a"] }, query: "q" })).rejects.toThrow(/`batchSize` must be a positive integer/);
  });

  it("crossEncoderReranking wraps the scorer it is given with the settings given", () => {
    const scorer: CrossEncoder = { score: async (pairs) => pairs.map(() => 0) };
    const model = crossEncoderReranking(scorer, { modelId: "mine" });
    expect(model.model).toBe(scorer);
    expect(model.modelId).toBe("mine");
    expect(() => crossEncoderReranking(null as never)).toThrow(/`model` must be a CrossEncoder/);
  });
});
