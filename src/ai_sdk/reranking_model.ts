import type { JSONObject, RerankingModelV3, RerankingModelV3CallOptions, SharedV3ProviderMetadata, SharedV3Warning } from "@ai-sdk/provider";
import { anySignal } from "../cancellation.js";
import { InvalidOptionError } from "../errors.js";
import { checkFunction, checkPositiveInteger, checkString } from "../options.js";
import { checkQuery } from "../rerank_input.js";
import { type CrossEncoder, isCrossEncoder, scorerName } from "../scorers/cross_encoder.js";
import { rankTexts } from "../scorers/rank_texts.js";
import { providerCallOptions } from "./provider_options.js";

/** The `provider` of these models, and the key of their `providerOptions` and `providerMetadata`. */
export const AI_SDK_PROVIDER = "langchain-rerank";

const OWNER = "CrossEncoderRerankingModel";

/** Options of {@link CrossEncoderRerankingModel} (and of `crossEncoderReranking` / `localReranking`). */
export interface CrossEncoderRerankingModelArgs {
  /** The scorer: any `CrossEncoder`, local or remote. */
  model: CrossEncoder;
  /**
   * The model id the AI SDK reports (`result.response.modelId`, telemetry, warnings).
   * @default the scorer's `modelName` (a server's URL with secrets masked), else its `model`, else its class name
   */
  modelId?: string;
  /**
   * The text the scorer reads for an object document (`rerank({ documents: [{ ... }] })`); its second argument is
   * the document's index.
   * @default JSON.stringify(document), as the AI SDK's Cohere provider sends objects
   */
  documentText?: (document: JSONObject, index: number) => string;
}

/** Each document's text: strings as given, objects through `documentText` (checked to return a string). */
function documentTexts(documents: RerankingModelV3CallOptions["documents"], documentText: (document: JSONObject, index: number) => string): string[] {
  if (documents === null || typeof documents !== "object" || !Array.isArray(documents.values)) {
    throw new InvalidOptionError(`${OWNER}: documents must be { type: "text" | "object", values: [...] }, as the AI SDK's rerank() sends them.`);
  }
  const { type, values } = documents as { type: unknown; values: unknown[] };
  if (type !== "text" && type !== "object") throw new InvalidOptionError(`${OWNER}: documents.type must be "text" or "object", got ${String(type)}.`);
  const texts: string[] = [];
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    const text = type === "text" ? value : value !== null && typeof value === "object" ? documentText(value as JSONObject, index) : undefined;
    if (typeof text !== "string") {
      const problem =
        type === "text" || value === null || typeof value !== "object"
          ? `document ${index} is not ${type === "text" ? "a string" : "an object"}; rerank() takes all strings or all objects.`
          : `object document ${index} gave ${typeof text} from documentText; it must give a string.`;
      throw new InvalidOptionError(`${OWNER}: ${problem}`);
    }
    texts.push(text);
  }
  return texts;
}

/**
 * Any `CrossEncoder` of this package (local: `HuggingFaceCrossEncoder`, `HuggingFaceCausalCrossEncoder`,
 * `ColBERTCrossEncoder`; remote: `RerankServerCrossEncoder`; or one of your own) as the Vercel AI SDK's reranking model
 * (`RerankingModelV3`), for `rerank()` from `ai`. Scores and order are `CrossEncoderReranker`'s on the same texts:
 * the scorer's own numbers, best first, ties in input order, cut to `topN`. `abortSignal` stops the scorer;
 * `providerOptions["langchain-rerank"]` carries a `timeout` and the scorer's own call options. When a scorer splits
 * long documents into windows, `providerMetadata["langchain-rerank"].bestChunks` says where each best window lies.
 *
 * @example
 * ```ts
 * import { rerank } from "ai";
 * import { type TextPair } from "langchain-rerank";
 * import { CrossEncoderRerankingModel } from "langchain-rerank/ai-sdk";
 *
 * // Any CrossEncoder: this one counts shared words, so the example runs offline.
 * const model = { score: async (pairs: readonly TextPair[]) => pairs.map(([q, text]) => text.split(" ").filter((w) => q.includes(w)).length) };
 * const { ranking } = await rerank({
 *   model: new CrossEncoderRerankingModel({ model, modelId: "shared-words" }),
 *   query: "does caffeine raise blood pressure",
 *   documents: ["Espresso is brewed coffee.", "Caffeine can raise blood pressure for a short time.", "Tea has caffeine."],
 *   topN: 2,
 * });
 * console.log(ranking.map(({ originalIndex, score }) => [originalIndex, score])); // [ [ 1, 4 ], [ 2, 0 ] ]
 * ```
 */
export class CrossEncoderRerankingModel implements RerankingModelV3 {
  readonly specificationVersion = "v3" as const;
  readonly provider = AI_SDK_PROVIDER;
  readonly modelId: string;
  /** The scorer behind this reranking model. */
  readonly model: CrossEncoder;
  readonly documentText: (document: JSONObject, index: number) => string;
  /** Object documents are read as their JSON (no `documentText` given): `rerank()` hears of it, as from Cohere's. */
  readonly #stringifies: boolean;

  constructor(fields: CrossEncoderRerankingModelArgs) {
    if (fields === null || typeof fields !== "object") throw new InvalidOptionError(`${OWNER}: pass { model }, a CrossEncoder to score with.`);
    if (!isCrossEncoder(fields.model)) throw new InvalidOptionError(`${OWNER}: \`model\` must be a CrossEncoder (an object with score(pairs)).`);
    this.model = fields.model;
    this.modelId = checkString(OWNER, "modelId", fields.modelId) ?? scorerName(fields.model) ?? "cross-encoder";
    const documentText = checkFunction<(document: JSONObject, index: number) => string>(OWNER, "documentText", fields.documentText);
    this.#stringifies = documentText === undefined;
    this.documentText = documentText ?? ((document) => JSON.stringify(document));
  }

  async doRerank(options: RerankingModelV3CallOptions): Promise<{
    ranking: Array<{ index: number; relevanceScore: number }>;
    providerMetadata?: SharedV3ProviderMetadata;
    warnings?: Array<SharedV3Warning>;
    response?: { modelId?: string };
  }> {
    const { documents, query, abortSignal, headers } = options;
    const texts = documentTexts(documents, this.documentText);
    checkQuery(OWNER, query);
    const topN = checkPositiveInteger(OWNER, "topN", options.topN);
    const { timeout, callOptions } = providerCallOptions(OWNER, AI_SDK_PROVIDER, options.providerOptions);
    const warnings: SharedV3Warning[] = [];
    if (documents.type === "object" && this.#stringifies)
      warnings.push({ type: "compatibility", feature: "object documents", details: "Object documents are converted to strings." });
    // A scorer's headers are set when it is made (RerankServerCrossEncoder's `headers`); per call there are none.
    if (headers !== undefined && Object.keys(headers).length > 0) {
      warnings.push({ type: "unsupported", feature: "headers", details: "Per-call headers are not sent; give them to the scorer when you make it." });
    }
    const signal = anySignal(abortSignal, timeout === undefined ? undefined : AbortSignal.timeout(timeout));
    const ranked = texts.length === 0 ? [] : await rankTexts(OWNER, this.model, query, texts, signal ? { ...callOptions, signal } : callOptions);
    const kept = topN === undefined ? ranked : ranked.slice(0, topN);
    const bestChunks = kept.flatMap(({ index, chunk }) => (chunk === undefined ? [] : [{ index, start: chunk.start, end: chunk.end }]));
    return {
      ranking: kept.map(({ index, relevanceScore }) => ({ index, relevanceScore })),
      ...(bestChunks.length > 0 ? { providerMetadata: { [AI_SDK_PROVIDER]: { bestChunks } } } : {}),
      warnings,
      response: { modelId: this.modelId },
    };
  }
}
