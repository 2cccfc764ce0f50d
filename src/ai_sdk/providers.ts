import { InvalidOptionError } from "../errors.js";
import { checkFields, checkString } from "../options.js";
import type { CrossEncoder } from "../scorers/cross_encoder.js";
import type { HuggingFaceCrossEncoderArgs } from "../local/cross_encoder/huggingface_cross_encoder.js";
import { LazyHuggingFaceCrossEncoder } from "../local/cross_encoder/lazy_huggingface_cross_encoder.js";
import { CrossEncoderRerankingModel, type CrossEncoderRerankingModelArgs } from "./reranking_model.js";

/** Options of {@link localReranking}: a `HuggingFaceCrossEncoder`'s (but `model`), and how object documents read. */
export type LocalRerankingSettings = Omit<HuggingFaceCrossEncoderArgs, "model"> & Pick<CrossEncoderRerankingModelArgs, "documentText">;

/** What {@link localReranking} returns: its `model` is a local cross-encoder that can be warmed up and freed. */
export type LocalRerankingModel = CrossEncoderRerankingModel & {
  readonly model: CrossEncoder & { load(): Promise<void>; dispose(): Promise<void> };
};

/**
 * A local cross-encoder (transformers.js, ONNX) as an AI SDK reranking model, by hub id or model folder, in the
 * style of the AI SDK's providers (`cohere.reranking("rerank-v3.5")`). The scorer's code is imported and its model
 * loaded on the first `rerank()`, where its options are checked too; `@huggingface/transformers` is needed then (a
 * `MissingDependencyError` with the install line says so). `model.load()` warms it up, `model.dispose()` frees it.
 *
 * @example
 * ```ts
 * // network: downloads the model from the Hugging Face hub on the first rerank (then cached)
 * import { rerank } from "ai";
 * import { localReranking } from "langchain-rerank/ai-sdk";
 *
 * const { rerankedDocuments } = await rerank({
 *   model: localReranking("Xenova/bge-reranker-base", { dtype: "q8" }),
 *   query: "does caffeine raise blood pressure",
 *   documents: ["Espresso is brewed coffee.", "Caffeine can raise blood pressure for a short time."],
 *   topN: 1,
 * });
 * ```
 */
export function localReranking(modelId: string, settings: LocalRerankingSettings = {}): LocalRerankingModel {
  const id = checkString("localReranking", "modelId", modelId);
  if (id === undefined)
    throw new InvalidOptionError('localReranking: `modelId` is required: a hub id such as "Xenova/bge-reranker-base" or a model folder.');
  const { documentText, ...scorerFields } = checkFields(
    "localReranking",
    settings,
    '{ dtype: "q8" }',
    'localReranking("Xenova/bge-reranker-base", { dtype: "q8" })',
  );
  const model = new LazyHuggingFaceCrossEncoder({ ...scorerFields, model: id });
  return new CrossEncoderRerankingModel({ model, modelId: id, documentText }) as LocalRerankingModel;
}

/**
 * Any `CrossEncoder` as an AI SDK reranking model: a `HuggingFaceCrossEncoder`, `HuggingFaceCausalCrossEncoder`,
 * `ColBERTCrossEncoder`, `RerankServerCrossEncoder`, `CachedCrossEncoder` or one of your own. Same as
 * `new CrossEncoderRerankingModel({ model, ...settings })`.
 *
 * @example
 * ```ts
 * // network: a rerank server, here Text Embeddings Inference on port 8080
 * import { rerank } from "ai";
 * import { RerankServerCrossEncoder } from "langchain-rerank";
 * import { crossEncoderReranking } from "langchain-rerank/ai-sdk";
 *
 * const tei = new RerankServerCrossEncoder({ url: "http://localhost:8080/rerank", dialect: "tei" });
 * const { ranking } = await rerank({ model: crossEncoderReranking(tei), query: "q", documents: ["a", "b"], topN: 1 });
 * ```
 */
export function crossEncoderReranking(model: CrossEncoder, settings: Omit<CrossEncoderRerankingModelArgs, "model"> = {}): CrossEncoderRerankingModel {
  const checked = checkFields(
    "crossEncoderReranking",
    settings,
    '{ modelId: "my-reranker" }',
    'crossEncoderReranking(scorer, { modelId: "my-reranker" })',
  );
  return new CrossEncoderRerankingModel({ ...checked, model });
}
