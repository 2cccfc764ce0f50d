import { checkString } from "../../options.js";
import type { CrossEncoder, CrossEncoderCallOptions, DetailedScore, TextPair } from "../../scorers/cross_encoder.js";
import type { HuggingFaceCrossEncoder, HuggingFaceCrossEncoderArgs } from "./huggingface_cross_encoder.js";
import { DEFAULT_RERANKER_MODEL } from "../loading/load_spec.js";

/**
 * Options of {@link LazyHuggingFaceCrossEncoder}: a `HuggingFaceCrossEncoder`'s, handed to it when it is built (so
 * all but `model` are checked then, on the first call).
 */
export type LazyHuggingFaceCrossEncoderArgs = HuggingFaceCrossEncoderArgs;

/**
 * A `HuggingFaceCrossEncoder` named by its model, whose code is imported on the first call (a dynamic `import()`).
 * `CrossEncoderReranker` wraps a string `model` in one, so the root entry's static graph carries no local-model
 * code: an app that reranks with Cohere or a server never ships it. The scorer itself (and the model) load on the
 * first `score`, exactly as a `HuggingFaceCrossEncoder` given directly does, with the same errors.
 *
 * @example
 * ```ts
 * import { CrossEncoderReranker } from "langchain-rerank";
 *
 * const reranker = new CrossEncoderReranker({ model: "Xenova/ms-marco-MiniLM-L-6-v2" });
 * reranker.model; // a LazyHuggingFaceCrossEncoder: nothing is imported or loaded until the first rerank
 * ```
 */
export class LazyHuggingFaceCrossEncoder implements CrossEncoder {
  /** The hub id or local folder the scorer loads. */
  readonly model: string;
  readonly #fields: HuggingFaceCrossEncoderArgs;
  #scorer: Promise<HuggingFaceCrossEncoder> | undefined;

  constructor(fields: LazyHuggingFaceCrossEncoderArgs = {}) {
    // Checked now, with HuggingFaceCrossEncoder's own message, so a bad id fails at construction, not at the first rerank.
    this.model = checkString("HuggingFaceCrossEncoder", "model", fields.model) ?? DEFAULT_RERANKER_MODEL;
    this.#fields = { ...fields, model: this.model };
  }

  /** The `HuggingFaceCrossEncoder` behind this one, imported and built on first use (its model loads on its first call). */
  scorer(): Promise<HuggingFaceCrossEncoder> {
    this.#scorer ??= import("./huggingface_cross_encoder.js").then(({ HuggingFaceCrossEncoder }) => new HuggingFaceCrossEncoder(this.#fields));
    return this.#scorer;
  }

  async score(pairs: readonly TextPair[], options?: CrossEncoderCallOptions): Promise<number[]> {
    return (await this.scorer()).score(pairs, options);
  }

  async scoreDetailed(pairs: readonly TextPair[], options?: CrossEncoderCallOptions): Promise<DetailedScore[]> {
    return (await this.scorer()).scoreDetailed(pairs, options);
  }

  /** Loads the model now (it otherwise loads on the first call). */
  async load(): Promise<void> {
    await (await this.scorer()).load();
  }

  /** Releases the model, as `HuggingFaceCrossEncoder.dispose` does; nothing to do when it never loaded. */
  async dispose(): Promise<void> {
    if (this.#scorer !== undefined) await (await this.#scorer).dispose();
  }
}
