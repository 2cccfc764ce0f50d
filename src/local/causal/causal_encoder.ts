import { InvalidOptionError } from "../../errors.js";
import type { CausalRerankerTemplate } from "./causal_prompts.js";
import { planWindows, splitPieces, windowSpan } from "../../scorers/chunking.js";
import type { ChunkSpan, TextPair } from "../../scorers/cross_encoder.js";
import { encodeCapped, type EncodedWindows, type PairTokenizer, type WindowingOptions } from "../runtime/pair_encoder.js";

export interface PromptEncoderOptions {
  /** Tokens per prompt, its fixed parts included. */
  maxLength: number;
  /** Tokens the query's part may keep; the document's part gets the rest. */
  maxQueryLength: number;
  /** Fills `{instruction}`; the template's default when absent. */
  instruction: string | undefined;
}

/** A tokenizer as the prompt encoder uses it: transformers.js's `encode` and the BOS id. */
export type PromptTokenizer = Pick<PairTokenizer, "encode"> & { bos_token_id?: number | null };

const fill = (part: string, instruction: string) => part.replaceAll("{instruction}", instruction);

/**
 * Encodes (query, document) pairs into a causal-LM reranker's prompt: each part tokenized alone, the query's part
 * cut to its budget, then only the document's part cut so the prompt fits `maxLength` with every fixed part kept
 * (the prompt's end, which asks for the answer, most of all). Each distinct text of a call is tokenized once.
 */
export class PromptEncoder {
  /** Token ids before the query part, between it and the document part, and after the document part. */
  readonly head: number[];
  readonly middle: number[];
  readonly tail: number[];
  readonly #query: [before: string, after: string];
  readonly #document: [before: string, after: string];
  /** Tokens of the document's own part with an empty document ("<Document>: "), the windows' fixed cost. */
  readonly #documentFrame: number;
  readonly #tokenizer: PromptTokenizer;

  constructor(
    tokenizer: PromptTokenizer,
    template: CausalRerankerTemplate,
    readonly options: PromptEncoderOptions,
  ) {
    this.#tokenizer = tokenizer;
    const instruction = options.instruction ?? template.defaultInstruction ?? "";
    const encode = (text: string) => (text === "" ? [] : tokenizer.encode(text, { add_special_tokens: false }));
    const queryAt = template.parts.findIndex((p) => p.includes("{query}"));
    const documentAt = template.parts.findIndex((p) => p.includes("{document}"));
    const fixed = (from: number, to: number) => template.parts.slice(from, to).flatMap((p) => encode(fill(p, instruction)));
    let bos: number[] = [];
    if (template.bos === true) {
      const id = tokenizer.bos_token_id;
      if (typeof id !== "number")
        throw new InvalidOptionError("The template asks for a BOS token, and the tokenizer has none (tokenizer_config.json bos_token).");
      bos = [id];
    }
    this.head = [...bos, ...fixed(0, queryAt)];
    this.middle = fixed(queryAt + 1, documentAt);
    this.tail = fixed(documentAt + 1, template.parts.length);
    let queryPart = fill(template.parts[queryAt]!, instruction);
    if (options.instruction !== undefined && template.queryInstruction !== undefined && !template.parts.some((p) => p.includes("{instruction}"))) {
      queryPart = fill(template.queryInstruction, instruction) + queryPart;
    }
    this.#query = split(queryPart, "{query}");
    this.#document = split(fill(template.parts[documentAt]!, instruction), "{document}");
    this.#documentFrame = encode(this.#document.join("")).length;
    const fixedCount = this.head.length + this.middle.length + this.tail.length;
    if (options.maxLength < fixedCount + this.#documentFrame + 2) {
      throw new InvalidOptionError(
        `maxLength ${options.maxLength} leaves no room for a query and a document after the prompt's ${fixedCount} fixed tokens.`,
      );
    }
    if (options.maxQueryLength < 1) throw new InvalidOptionError(`maxQueryLength must be at least 1, got ${options.maxQueryLength}.`);
  }

  /** Tokens left for the query's and the document's parts. */
  get #content(): number {
    return this.options.maxLength - this.head.length - this.middle.length - this.tail.length;
  }

  encodePairs(pairs: readonly TextPair[]): number[][] {
    const queryCache = new Map<string, number[]>();
    const documentCache = new Map<string, number[]>();
    return pairs.map(([query, document]) => {
      const q = this.#queryIds(queryCache, query);
      let d = documentCache.get(document);
      if (d === undefined) documentCache.set(document, (d = this.#part(this.#document, document, this.#content)));
      const budget = this.#content - q.length;
      return this.#assemble(q, d.length > budget ? d.slice(0, budget) : d);
    });
  }

  /**
   * Encodes each pair, splitting a document that does not fit beside its query into windows of whole pieces that
   * fill the document part's budget; a document that fits is encoded exactly as `encodePairs` does.
   */
  encodeWindows(pairs: readonly TextPair[], { maxChunks, overlap }: WindowingOptions): EncodedWindows {
    const queryCache = new Map<string, number[]>();
    const windowCache = new Map<string, { ids: number[]; span: ChunkSpan | undefined }[]>();
    const result: EncodedWindows = { encoded: [], pairOf: [], spans: [] };
    pairs.forEach(([query, document], pairIndex) => {
      const q = this.#queryIds(queryCache, query);
      const budget = this.#content - q.length;
      const key = `${budget}\u0000${document}`;
      let windows = windowCache.get(key);
      if (windows === undefined) windowCache.set(key, (windows = this.#windows(document, budget, maxChunks, overlap)));
      for (const { ids, span } of windows) {
        result.encoded.push({ inputIds: this.#assemble(q, ids), tokenTypeIds: [] });
        result.pairOf.push(pairIndex);
        result.spans.push(span);
      }
    });
    return result;
  }

  #queryIds(cache: Map<string, number[]>, query: string): number[] {
    let ids = cache.get(query);
    // Leave the document's part its frame and one token even when the query is long.
    if (ids === undefined)
      cache.set(query, (ids = this.#part(this.#query, query, Math.min(this.options.maxQueryLength, this.#content - this.#documentFrame - 1))));
    return ids;
  }

  /** The ids of `before + text + after`, at most `limit` (a long text is not tokenized whole to keep its start). */
  #part([before, after]: [string, string], text: string, limit: number): number[] {
    return encodeCapped(this.#tokenizer as PairTokenizer, before + text + after, limit);
  }

  #windows(text: string, budget: number, maxChunks: number, overlap: number): { ids: number[]; span: ChunkSpan | undefined }[] {
    const whole = this.#part(this.#document, text, budget + 1);
    if (whole.length <= budget || maxChunks <= 1) return [{ ids: whole.slice(0, budget), span: undefined }];
    const pieces = splitPieces(text);
    const encode = (piece: string) => this.#tokenizer.encode(piece, { add_special_tokens: false });
    const sizes = pieces.map(({ start, end }) => encode(text.slice(start, end)).length);
    const room = budget - this.#documentFrame;
    const shared = Math.min(overlap, Math.floor(room / 2));
    return planWindows(sizes, { budget: room, overlap: shared, maxWindows: maxChunks }).map(([first, end]) => {
      // Each window is tokenized in its part as the model reads it, and cut back a piece if merges made it longer.
      for (let last = end; ; last--) {
        const span = windowSpan(pieces, [first, last]);
        const ids = this.#part(this.#document, text.slice(span.start, span.end), budget + 1);
        if (ids.length <= budget || last - first === 1) return { ids: ids.slice(0, budget), span };
      }
    });
  }

  #assemble(query: number[], document: number[]): number[] {
    return [...this.head, ...query, ...this.middle, ...document, ...this.tail];
  }
}

function split(part: string, placeholder: string): [string, string] {
  const at = part.indexOf(placeholder);
  return [part.slice(0, at), part.slice(at + placeholder.length)];
}
