import type { Tensor } from "@huggingface/transformers";
import { RerankError } from "../../errors.js";
import { type BatchLimits, planBatches } from "../runtime/batch_planner.js";
import { tokenWindows } from "../../scorers/chunking.js";
import type { ColBERTConventions } from "./colbert_conventions.js";
import type { LoadedColBERT } from "./colbert_loader.js";
import type { ChunkSpan } from "../../scorers/cross_encoder.js";
import { encodeCapped } from "../runtime/pair_encoder.js";

// How a ColBERT model reads text, as PyLate's ColBERT.tokenize does: the marker token inserted after the first
// special token, queries padded with the mask token to the query length (their vectors are scored; the encoder
// attends to them only where the model says so), documents cut to the document length, and the skip-list's tokens
// dropped from a document's vectors after encoding. Then every kept vector is projected and scaled to unit length.

/** A text as the encoder reads it. */
export interface ColBERTInput {
  ids: number[];
  attention: number[];
  /** Positions whose vectors are kept: all of a query's (expansion included), a document's minus the skip-list. */
  keep: number[];
}

/** A document (or window) to encode, with where it lies in the text when it is a window. */
export interface DocumentWindow {
  input: ColBERTInput;
  span?: ChunkSpan;
}

type Tokenizer = {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  mask_token_id?: number | null;
  unk_token_id?: number | null;
  /** transformers.js 4: the vocabulary with the added tokens. */
  get_vocab?(): Map<string, number>;
  /** transformers.js 3: the same map, on the tokenizer's model. */
  model?: { tokens_to_ids?: Map<string, number>; unk_token_id?: number };
};

/** Token → id over the whole vocabulary, added tokens (PyLate's "[Q] ") included, on transformers.js 3 and 4. */
function vocabularyOf(tokenizer: Tokenizer): Map<string, number> {
  const vocab = typeof tokenizer.get_vocab === "function" ? tokenizer.get_vocab() : tokenizer.model?.tokens_to_ids;
  if (!(vocab instanceof Map)) throw new RerankError("This transformers.js tokenizer exposes no vocabulary (get_vocab or model.tokens_to_ids).");
  return vocab;
}

export class ColBERTEncoder {
  readonly dim: number;
  /** Content tokens one document (or window) may hold: the document length less the marker and special tokens. */
  readonly documentBudget: number;
  readonly #loaded: LoadedColBERT;
  readonly #tokenizer: Tokenizer;
  readonly #conventions: ColBERTConventions;
  readonly #queryMarker: number | undefined;
  readonly #documentMarker: number | undefined;
  readonly #maskId: number | undefined;
  readonly #skip: Set<number>;
  readonly #head: number[];
  readonly #tail: number[];

  constructor(model: string, loaded: LoadedColBERT, conventions: ColBERTConventions) {
    this.#loaded = loaded;
    this.#conventions = conventions;
    this.dim = loaded.dim;
    const tokenizer = loaded.tokenizer as unknown as Tokenizer;
    this.#tokenizer = tokenizer;
    const vocab = vocabularyOf(tokenizer);
    const markerId = (marker: string, which: "query" | "document") => {
      // A PyLate prefix such as "[Q] " is an added token followed by a space; the token is the text without it.
      const id = vocab.get(marker) ?? vocab.get(marker.trim());
      if (id === undefined) {
        throw new RerankError(
          `"${model}" has no ${which} marker token ${JSON.stringify(marker)} in its vocabulary: it is not a ColBERT checkpoint, or its ` +
            `marker is another token. Pass ${which}Prefix (e.g. "[unused0]" / "[unused1]" for Stanford checkpoints, "[Q] " / "[D] " for ` +
            'PyLate ones), or "" for a model trained without markers.',
        );
      }
      return id;
    };
    this.#queryMarker = conventions.queryPrefix === "" ? undefined : markerId(conventions.queryPrefix, "query");
    this.#documentMarker = conventions.documentPrefix === "" ? undefined : markerId(conventions.documentPrefix, "document");
    this.#maskId = tokenizer.mask_token_id ?? undefined;
    if (conventions.doQueryExpansion && this.#maskId === undefined) {
      throw new RerankError(`"${model}"'s tokenizer has no mask token to expand queries with: pass doQueryExpansion: false.`);
    }
    // PyLate maps each skip-list word with convert_tokens_to_ids, which gives the unknown token for a word outside the vocabulary.
    this.#skip = new Set(conventions.skiplistWords.flatMap((w) => vocab.get(w) ?? tokenizer.unk_token_id ?? tokenizer.model?.unk_token_id ?? []));
    // The special tokens around a text (BERT: [CLS] … [SEP]; XLM-R: <s> … </s>), learnt from one word.
    const withSpecial = tokenizer.encode("a");
    const bare = tokenizer.encode("a", { add_special_tokens: false });
    let headLength = 0;
    while (headLength < withSpecial.length && withSpecial[headLength] !== bare[0]) headLength++;
    this.#head = withSpecial.slice(0, headLength);
    this.#tail = withSpecial.slice(headLength + bare.length);
    this.documentBudget = this.#budget(conventions.documentLength, this.#documentMarker);
  }

  /** A query as the model reads it: marker, content cut to the query length, then mask tokens up to it. */
  query(text: string): ColBERTInput {
    const { queryLength, doQueryExpansion, attendToExpansionTokens } = this.#conventions;
    const budget = this.#budget(queryLength, this.#queryMarker);
    const real = this.#assemble(encodeCapped(this.#tokenizer, text, budget), this.#queryMarker);
    if (!doQueryExpansion) return { ids: real, attention: real.map(() => 1), keep: real.map((_, i) => i) };
    const ids = [...real, ...new Array<number>(Math.max(0, queryLength - real.length)).fill(this.#maskId!)];
    const attention = ids.map((_, i) => (i < real.length || attendToExpansionTokens ? 1 : 0));
    return { ids, attention, keep: ids.map((_, i) => i) };
  }

  /**
   * A document as the model reads it: whole (cut to the document length) when `maxChunks` is 1 or it fits, else
   * up to `maxChunks` windows of whole pieces sharing `overlap` tokens, each with its span in the text.
   */
  document(text: string, maxChunks: number, overlap: number, pieceCache?: Map<string, number[]>): DocumentWindow[] {
    const budget = this.documentBudget;
    const whole = encodeCapped(this.#tokenizer, text, budget + 1);
    if (whole.length <= budget || maxChunks <= 1) return [{ input: this.#documentInput(whole.slice(0, budget)) }];
    const encode = (t: string) => this.#tokenizer.encode(t, { add_special_tokens: false });
    return tokenWindows(text, { budget, maxChunks, overlap }, encode, pieceCache).map(({ ids, span }) => ({
      input: this.#documentInput(ids),
      span,
    }));
  }

  /**
   * Runs the inputs in length-sorted batches within `limits`; returns each input's kept vectors (count × dim),
   * projected and L2-normalised, in input order.
   */
  async encode(inputs: readonly ColBERTInput[], limits: BatchLimits, signal?: AbortSignal): Promise<Float32Array[]> {
    const vectors = new Array<Float32Array>(inputs.length);
    for (const batch of planBatches(
      inputs.map((input) => input.ids.length),
      limits,
    )) {
      signal?.throwIfAborted();
      const output = await this.#loaded.forward(this.#feeds(inputs, batch), signal);
      const [, seq = 0, width = 0] = output.dims;
      const data = output.data as Float32Array;
      // The batch's kept positions as one matrix, made token vectors in one step (one MatMul for the projection).
      const kept = batch.reduce((n, index) => n + inputs[index]!.keep.length, 0);
      const rows = new Float32Array(kept * width);
      let at = 0;
      batch.forEach((index, row) => {
        for (const position of inputs[index]!.keep) {
          const from = (row * seq + position) * width;
          rows.set(data.subarray(from, from + width), at);
          at += width;
        }
      });
      const all = await this.#loaded.tokenVectors(rows, kept);
      let next = 0;
      for (const index of batch) {
        const count = inputs[index]!.keep.length;
        vectors[index] = all.slice(next * this.dim, (next + count) * this.dim);
        next += count;
      }
    }
    return vectors;
  }

  #budget(length: number, marker: number | undefined): number {
    return Math.max(0, length - (marker === undefined ? 0 : 1) - this.#head.length - this.#tail.length);
  }

  #assemble(content: readonly number[], marker: number | undefined): number[] {
    const ids = [...this.#head, ...content, ...this.#tail];
    // PyLate's insert_prefix_token: the marker goes at position 1, after [CLS] / <s>.
    if (marker !== undefined) ids.splice(Math.min(1, ids.length), 0, marker);
    return ids;
  }

  #documentInput(content: readonly number[]): ColBERTInput {
    const ids = this.#assemble(content, this.#documentMarker);
    return { ids, attention: ids.map(() => 1), keep: ids.flatMap((id, i) => (this.#skip.has(id) ? [] : [i])) };
  }

  /** One batch, padded on the right with the pad id and attention 0 (a query's own attention kept as it is). */
  #feeds(inputs: readonly ColBERTInput[], batch: readonly number[]): Record<string, Tensor> {
    const { TensorClass, inputNames } = this.#loaded;
    const width = Math.max(...batch.map((i) => inputs[i]!.ids.length));
    const size = batch.length * width;
    const ids = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    batch.forEach((index, row) => {
      const { ids: rowIds, attention } = inputs[index]!;
      for (let j = 0; j < rowIds.length; j++) {
        ids[row * width + j] = BigInt(rowIds[j]!);
        mask[row * width + j] = BigInt(attention[j]!);
      }
    });
    const dims = [batch.length, width];
    const feeds: Record<string, Tensor> = { input_ids: new TensorClass("int64", ids, dims), attention_mask: new TensorClass("int64", mask, dims) };
    if (inputNames.includes("token_type_ids")) feeds.token_type_ids = new TensorClass("int64", new BigInt64Array(size), dims);
    return feeds;
  }
}
