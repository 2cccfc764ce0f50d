import { CorruptModelFileError, InvalidOptionError } from "../../errors.js";
import { checkBoolean, checkOneOf, checkPositiveInteger, checkString } from "../../options.js";
import { planBatches } from "../runtime/batch_planner.js";
import { PromptEncoder } from "./causal_encoder.js";
import {
  type AnswerHeadStatus,
  answerTokens,
  type CausalLoadOptions,
  causalModelKey,
  type LoadedCausalLm,
  loadCausalLm,
  targetTokenIds,
} from "./causal_loader.js";
import { CAUSAL_TEMPLATES, type CausalRerankerFamily, type CausalRerankerTemplate, resolveTemplate } from "./causal_prompts.js";
import { documentScores } from "../../scorers/chunking.js";
import { type CrossEncoder, type DetailedScore, type ScoreMode, type TextPair } from "../../scorers/cross_encoder.js";
import type { LocalModelArgs } from "../runtime/local_model_options.js";
import { LocalModelScorer } from "../runtime/local_scoring.js";
import { batchFeeds } from "../runtime/tensor_feeds.js";

// The causal-LM family over the shared local runtime (local_scoring.ts), padding on the left so that every row's
// last position is its prompt's last token. What is its own: the prompt (causal_prompts.ts, causal_encoder.ts)
// and the score read from the last position's next-token logits.

export interface HuggingFaceCausalCrossEncoderArgs extends LocalModelArgs {
  /** Hub id (transformers.js ONNX layout, e.g. "onnx-community/Qwen3-Reranker-0.6B-ONNX") or a local model folder. */
  model: string;
  /**
   * The prompt and answer tokens of a known family, for a folder or export whose id is not a preset.
   * @default the preset of `model` (see CAUSAL_PRESETS)
   */
  family?: CausalRerankerFamily;
  /**
   * Prompt and answer tokens of any other causal-LM reranker (instead of `family`).
   * @default the family's template
   */
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
   * Score with the graph's answer head: on the first load in Node, the ONNX graph is converted to one that computes
   * only the answer tokens' logits at the last position (same scores, far less time and memory; see
   * docs/local-reranker.md) and cached; later loads use the cached copy. If the conversion fails the full graph
   * scores and `answerHead.reason` says why. `false` always loads the full graph.
   * @default true
   */
  convertGraph?: boolean;
  /**
   * Folder of converted graphs (one subfolder per source graph and answer tokens).
   * @default `<cacheDir>/langchain-rerank-answer-head` (transformers.js's cache unless `cacheDir` is given)
   */
  convertedGraphDir?: string;
}

const OWNER = "HuggingFaceCausalCrossEncoder";
const EXAMPLE_MODEL = "onnx-community/Qwen3-Reranker-0.6B-ONNX";
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
export class HuggingFaceCausalCrossEncoder extends LocalModelScorer<LoadedCausalLm, Prepared> implements CrossEncoder {
  /** The prompt and the answer tokens scored. */
  readonly template: CausalRerankerTemplate;
  readonly instruction: string | undefined;
  readonly scoreMode: ScoreMode;
  readonly #maxLength: number | undefined;
  readonly #maxQueryLength: number | undefined;
  #answerHead: AnswerHeadStatus | undefined;

  constructor(fields: HuggingFaceCausalCrossEncoderArgs) {
    // The load depends on the template (its answer tokens), known once the base has checked the model: the key and
    // load run lazily, on the first call, reading this object.
    const load = {} as CausalLoadOptions;
    super(
      {
        owner: OWNER,
        exampleModel: EXAMPLE_MODEL,
        requiredModelHint: `, e.g. "${EXAMPLE_MODEL}" or a local folder.`,
        key: (spec) => causalModelKey(spec, load),
        load: (spec) => loadCausalLm(spec, load),
      },
      fields,
    );
    const family = checkOneOf(OWNER, "family", fields.family, Object.keys(CAUSAL_TEMPLATES) as CausalRerankerFamily[]);
    this.template = resolveTemplate(OWNER, this.model, family, fields.template);
    this.instruction = checkString(OWNER, "instruction", fields.instruction);
    this.scoreMode = checkOneOf(OWNER, "scoreMode", fields.scoreMode, ["sigmoid", "raw"] as const) ?? "sigmoid";
    this.#maxLength = checkPositiveInteger(OWNER, "maxLength", fields.maxLength);
    this.#maxQueryLength = checkPositiveInteger(OWNER, "maxQueryLength", fields.maxQueryLength);
    Object.assign(load, {
      template: this.template,
      convertGraph: checkBoolean(OWNER, "convertGraph", fields.convertGraph) ?? true,
      convertedGraphDir: checkString(OWNER, "convertedGraphDir", fields.convertedGraphDir),
    });
  }

  /**
   * Which graph scores, once loaded (undefined before): `{ converted: true, tokens, folder }` for the answer-head
   * conversion, or `{ converted: false, reason }` for the full graph, with why (conversion off or failed).
   */
  get answerHead(): AnswerHeadStatus | undefined {
    return this.#answerHead;
  }

  /** Beside the load and windows: the prompt and answer tokens, instruction, score mode and truncation. */
  protected scoreSettings(): Record<string, unknown> {
    return {
      scoreMode: this.scoreMode,
      template: this.template,
      instruction: this.instruction ?? null,
      maxLength: this.#maxLength ?? null,
      maxQueryLength: this.#maxQueryLength ?? null,
    };
  }

  /** The prompt's token ids per pair after truncation, exactly as `score` feeds them without windows. */
  encode(pairs: readonly TextPair[]): Promise<number[][]> {
    return this.withLoaded(pairs, ({ encoder }) => encoder.encodePairs(pairs));
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
      const data = logits.data as Float32Array;
      const [width, vocab] = lastPositionLayout(this.model, loaded, logits.dims, batch.length);
      batch.forEach((index, row) => {
        const last = (row * width + width - 1) * vocab;
        const logit = data[last + positive]! - (negative === undefined ? 0 : data[last + negative]!);
        scores[index] = this.scoreMode === "raw" ? logit : 1 / (1 + Math.exp(-logit));
      });
    }
    return scores;
  }

  protected prepare(loaded: LoadedCausalLm): Prepared {
    const maxLength = this.#maxLength ?? Math.min(DEFAULT_MAX_LENGTH, loaded.maxPositions);
    if (maxLength > loaded.maxPositions) {
      throw new InvalidOptionError(`${OWNER}: maxLength ${maxLength} exceeds "${this.model}"'s ${loaded.maxPositions} positions.`);
    }
    const maxQueryLength = this.#maxQueryLength ?? Math.floor((maxLength * 3) / 4);
    const encoder = new PromptEncoder(loaded.tokenizer, this.template, { maxLength, maxQueryLength, instruction: this.instruction });
    const ids = targetTokenIds(this.model, loaded.tokenizer, this.template);
    let { positive, negative } = ids;
    this.#answerHead = loaded.answerHead;
    if (loaded.answerHead.converted) {
      const wanted = answerTokens(ids);
      if (JSON.stringify(loaded.answerHead.tokens) !== JSON.stringify(wanted)) {
        throw new InvalidOptionError(
          `${OWNER}: "${this.model}" is an answer-head graph converted for the tokens ${JSON.stringify(loaded.answerHead.tokens)}, and this ` +
            `template's answer tokens are ${JSON.stringify(wanted)}: convert the original folder for this template (rerank-convert-causal), or load the original.`,
        );
      }
      [positive, negative] = [0, negative === undefined ? undefined : 1];
    }
    // Pads are masked and sit left of every real token, so their id never reaches a score; any id in the vocabulary does.
    const padTokenId = loaded.tokenizer.pad_token_id ?? loaded.tokenizer.eos_token_id ?? 0;
    return { loaded, encoder, positive, negative, padTokenId };
  }
}

/**
 * [positions per row, values per position] of a batch's logits: the full graph's [batch, sequence, vocabulary], or
 * the answer head's [batch, answer tokens] (one position). Any other shape is refused, never read.
 */
function lastPositionLayout(model: string, loaded: LoadedCausalLm, dims: readonly number[], rows: number): [number, number] {
  if (!loaded.answerHead.converted) return [dims[1] ?? 1, dims[2] ?? 1];
  const columns = loaded.answerHead.tokens.length;
  if (dims.length !== 2 || dims[0] !== rows || dims[1] !== columns) {
    throw new CorruptModelFileError(
      model,
      `"${model}": its config says the graph is an answer head of ${columns} tokens, and its logits are [${dims.join(", ")}] for ${rows} prompts: ` +
        "the converted folder is damaged or mixed with another graph. Convert the original folder again (rerank-convert-causal).",
    );
  }
  return [1, columns];
}
