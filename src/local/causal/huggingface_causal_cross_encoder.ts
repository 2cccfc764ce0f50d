import { InvalidOptionError } from "../../errors.js";
import { checkOneOf, checkPositiveInteger, checkString } from "../../options.js";
import { type BatchLimits, planBatches } from "../runtime/batch_planner.js";
import { PromptEncoder } from "./causal_encoder.js";
import { causalModelKey, type LoadedCausalLm, loadCausalLm, targetTokenIds } from "./causal_loader.js";
import { CAUSAL_TEMPLATES, type CausalRerankerFamily, type CausalRerankerTemplate, resolveTemplate } from "./causal_prompts.js";
import { documentScores, type ChunkAggregation } from "../../scorers/chunking.js";
import { checkTextPairs, type CrossEncoder, type DetailedScore, type ScoreMode, type TextPair } from "../../scorers/cross_encoder.js";
import type { RerankerDevice, RerankerDtype } from "../loading/load_spec.js";
import { checkMaxQueuedPairs, PairQueue } from "../runtime/load_shedding.js";
import { type LocalModelOptions, localModelSettings } from "../runtime/local_model_options.js";
import { LocalModelScorer, localCacheKey, windowOptions } from "../runtime/local_scoring.js";
import { batchFeeds } from "../runtime/tensor_feeds.js";

// The causal-LM reranker composes the scorer layer's parts as the cross-encoder does (device, dtype and batch
// defaults, the shared model lifecycle, load shedding, length-sorted batches), padding on the left so that every
// row's last position is its prompt's last token. What is its own: the prompt (causal_prompts.ts,
// causal_encoder.ts) and the score read from the last position's next-token logits.

export interface HuggingFaceCausalCrossEncoderArgs extends LocalModelOptions {
  /** Hub id (transformers.js ONNX layout, e.g. "onnx-community/Qwen3-Reranker-0.6B-ONNX") or a local model folder. */
  model: string;
  /**
   * The prompt and answer tokens of a known family, for a folder or export whose id is not a preset.
   * @default the preset of `model` (see CAUSAL_PRESETS)
   */
  family?: CausalRerankerFamily;
  /** Prompt and answer tokens of any other causal-LM reranker (instead of `family`). */
  template?: CausalRerankerTemplate;
  /**
   * The task instruction (Qwen3-Reranker's `<Instruct>`, mxbai's `instruction:`).
   * @default the family's own ("Given a web search query, retrieve relevant passages that answer the query" for Qwen3)
   */
  instruction?: string;
  /**
   * `sigmoid`: 0–1 (Qwen3, mxbai: P(positive) of the two answer tokens; Gemma: sigmoid of the "Yes" logit);
   * `raw`: the log-odds (positive minus negative logit), or the positive logit where the family has one token.
   * @default "sigmoid"
   */
  scoreMode?: ScoreMode;
  /**
   * Tokens per prompt, its fixed parts included.
   * @default 1024, at most the model's max_position_embeddings
   */
  maxLength?: number;
  /**
   * Tokens the query's part (with its instruction) may keep before the document is cut.
   * @default ¾ of maxLength (as mxbai and FlagEmbedding)
   */
  maxQueryLength?: number;
  /**
   * Load shedding: most pairs this instance holds at once; see HuggingFaceCrossEncoder's option of the same name.
   * @default 10000
   */
  maxQueuedPairs?: number;
  /** Long documents: most windows per document (see HuggingFaceCrossEncoder). @default 1 */
  maxChunksPerDoc?: number;
  /** Tokens shared by consecutive windows. @default 32 */
  chunkOverlap?: number;
  /** How window scores become the document's score. @default "max" */
  chunkAggregation?: ChunkAggregation;
}

const OWNER = "HuggingFaceCausalCrossEncoder";
const DEFAULT_MAX_LENGTH = 1024;

interface Prepared {
  loaded: LoadedCausalLm;
  encoder: PromptEncoder;
  positive: number;
  negative: number | undefined;
  padTokenId: number;
}

/**
 * A causal-LM reranker running in-process with transformers.js (ONNX): Qwen3-Reranker, mxbai-rerank-v2,
 * bge-reranker-v2-gemma, or any causal LM given a prompt template and answer tokens. Each (query, document) is put
 * into the family's prompt, and the score is read from the last position's next-token logits as the family's
 * reference does (Qwen3: P("yes") over ("no", "yes")). Pairs are length-sorted, batched within a token budget and
 * padded on the left; the model loads once per process and is shared.
 *
 * @example
 * ```ts
 * // network: downloads onnx-community/Qwen3-Reranker-0.6B-ONNX from the Hugging Face hub
 * import { HuggingFaceCausalCrossEncoder } from "langchain-rerank/huggingface";
 *
 * const scorer = new HuggingFaceCausalCrossEncoder({ model: "onnx-community/Qwen3-Reranker-0.6B-ONNX" }); // or a folder + family
 * const scores = await scorer.score([
 *   ["does coffee raise blood pressure?", "Caffeine can cause a short increase in blood pressure."],
 *   ["does coffee raise blood pressure?", "Espresso is brewed by forcing hot water through coffee."],
 * ]); // P(yes) per pair, in input order
 * ```
 */
export class HuggingFaceCausalCrossEncoder extends LocalModelScorer<Prepared> implements CrossEncoder {
  readonly model: string;
  /** The prompt and the answer tokens scored. */
  readonly template: CausalRerankerTemplate;
  readonly instruction: string | undefined;
  readonly scoreMode: ScoreMode;
  readonly dtype: RerankerDtype;
  readonly device: RerankerDevice;
  readonly batchLimits: BatchLimits;
  readonly maxQueuedPairs: number;
  readonly maxChunksPerDoc: number;
  readonly chunkOverlap: number;
  readonly chunkAggregation: ChunkAggregation;
  readonly #revision: string | undefined;
  readonly #maxLength: number | undefined;
  readonly #maxQueryLength: number | undefined;

  constructor(fields: HuggingFaceCausalCrossEncoderArgs) {
    super();
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      throw new InvalidOptionError(`${OWNER}: options must be an object such as { model: "onnx-community/Qwen3-Reranker-0.6B-ONNX" }.`);
    }
    const model = checkString(OWNER, "model", fields.model);
    if (model === undefined)
      throw new InvalidOptionError(`${OWNER}: \`model\` is required, e.g. "onnx-community/Qwen3-Reranker-0.6B-ONNX" or a local folder.`);
    this.model = model;
    const family = checkOneOf(OWNER, "family", fields.family, Object.keys(CAUSAL_TEMPLATES) as CausalRerankerFamily[]);
    this.template = resolveTemplate(OWNER, model, family, fields.template);
    this.instruction = checkString(OWNER, "instruction", fields.instruction);
    const { spec, batchLimits } = localModelSettings(OWNER, model, fields);
    this.device = spec.device;
    this.dtype = spec.dtype;
    this.#revision = spec.revision;
    this.batchLimits = batchLimits;
    this.scoreMode = checkOneOf(OWNER, "scoreMode", fields.scoreMode, ["sigmoid", "raw"] as const) ?? "sigmoid";
    ({
      maxChunksPerDoc: this.maxChunksPerDoc,
      chunkOverlap: this.chunkOverlap,
      chunkAggregation: this.chunkAggregation,
    } = windowOptions(OWNER, fields));
    this.#maxLength = checkPositiveInteger(OWNER, "maxLength", fields.maxLength);
    this.#maxQueryLength = checkPositiveInteger(OWNER, "maxQueryLength", fields.maxQueryLength);
    this.maxQueuedPairs = checkMaxQueuedPairs(OWNER, fields.maxQueuedPairs);
    const queue = new PairQueue(OWNER, model, this.maxQueuedPairs);
    this.attachModel(
      OWNER,
      {
        key: () => causalModelKey(spec),
        load: () => loadCausalLm(spec),
        prepare: (loaded) => this.#prepare(loaded),
      },
      queue,
    );
  }

  /** Everything that changes a score: model, weights, device, the prompt and answer tokens, instruction, truncation, windows. */
  get cacheKey(): string {
    return localCacheKey(
      OWNER,
      { model: this.model, revision: this.#revision, dtype: this.dtype, device: this.device },
      {
        scoreMode: this.scoreMode,
        template: this.template,
        instruction: this.instruction ?? null,
        maxLength: this.#maxLength ?? null,
        maxQueryLength: this.#maxQueryLength ?? null,
      },
      this,
    );
  }

  /** The prompt's token ids per pair after truncation, exactly as `score` feeds them without windows. */
  async encode(pairs: readonly TextPair[]): Promise<number[][]> {
    checkTextPairs(`${OWNER}.score`, pairs);
    const { encoder } = await this.lifecycle.acquire();
    return encoder.encodePairs(pairs);
  }

  protected scoreWhole(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<number[]> {
    return this.#run(prepared, prepared.encoder.encodePairs(pairs), signal);
  }

  protected async scoreWindows(prepared: Prepared, pairs: readonly TextPair[], signal: AbortSignal | undefined): Promise<DetailedScore[]> {
    const { encoded, pairOf, spans } = prepared.encoder.encodeWindows(pairs, { maxChunks: this.maxChunksPerDoc, overlap: this.chunkOverlap });
    const windowScores = await this.#run(
      prepared,
      encoded.map((e) => e.inputIds),
      signal,
    );
    return documentScores(pairs.length, pairOf, spans, windowScores, this.chunkAggregation);
  }

  /** Scores prompts in length-sorted, left-padded batches; scores come back in the prompts' order. */
  async #run({ loaded, positive, negative, padTokenId }: Prepared, prompts: readonly number[][], signal: AbortSignal | undefined): Promise<number[]> {
    const scores = new Array<number>(prompts.length);
    const rows = prompts.map((inputIds) => ({ inputIds }));
    const feedOptions = { TensorClass: loaded.TensorClass, inputNames: loaded.inputNames, padTokenId, side: "left" as const };
    for (const batch of planBatches(
      prompts.map((p) => p.length),
      this.batchLimits,
    )) {
      signal?.throwIfAborted();
      const logits = await loaded.forward(batchFeeds(rows, batch, feedOptions), signal);
      const [, width = 1, vocab = 1] = logits.dims;
      const data = logits.data as Float32Array;
      batch.forEach((index, row) => {
        const last = (row * width + width - 1) * vocab;
        const logit = data[last + positive]! - (negative === undefined ? 0 : data[last + negative]!);
        scores[index] = this.scoreMode === "raw" ? logit : 1 / (1 + Math.exp(-logit));
      });
    }
    return scores;
  }

  #prepare(loaded: LoadedCausalLm): Prepared {
    const maxLength = this.#maxLength ?? Math.min(DEFAULT_MAX_LENGTH, loaded.maxPositions);
    if (maxLength > loaded.maxPositions) {
      throw new InvalidOptionError(`${OWNER}: maxLength ${maxLength} exceeds "${this.model}"'s ${loaded.maxPositions} positions.`);
    }
    const maxQueryLength = this.#maxQueryLength ?? Math.floor((maxLength * 3) / 4);
    const encoder = new PromptEncoder(loaded.tokenizer, this.template, { maxLength, maxQueryLength, instruction: this.instruction });
    const { positive, negative } = targetTokenIds(this.model, loaded.tokenizer, this.template);
    // Pads are masked and sit left of every real token, so their id never reaches a score; any id in the vocabulary does.
    const padTokenId = loaded.tokenizer.pad_token_id ?? loaded.tokenizer.eos_token_id ?? 0;
    return { loaded, encoder, positive, negative, padTokenId };
  }
}
