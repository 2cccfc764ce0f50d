import { InvalidOptionError, RerankError } from "../../errors.js";
import { tokenWindows } from "../../scorers/chunking.js";
import type { ChunkSpan, TextPair } from "../../scorers/cross_encoder.js";

/** What the pair encoder needs from a transformers.js tokenizer (v3 or v4): its public `encode` and pair call. */
export interface PairTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  /** The tokenizer's own encoding of a (text, text_pair) pair, special tokens included, as plain arrays. */
  (
    text: string,
    options: { text_pair: string; add_special_tokens: true; return_tensor: false; return_token_type_ids: true; padding: false; truncation: false },
  ): { input_ids: number[]; token_type_ids?: number[] };
  pad_token_id?: number | null;
}

interface Segment {
  ids: number[];
  types: number[];
}

/** Where the special tokens go around query A and document B, e.g. `[CLS] A [SEP] B [SEP]` or `<s> A </s></s> B </s>`. */
export interface PairTemplate {
  prefix: Segment;
  middle: Segment;
  suffix: Segment;
  typeA: number;
  typeB: number;
  /** How many special tokens a pair carries. */
  specialCount: number;
}

/** One encoded (query, document) pair, ready to be padded into a batch. */
export interface EncodedPair {
  inputIds: number[];
  tokenTypeIds: number[];
}

// Probe texts whose ids are located in the tokenizer's own pair encoding. Several candidates, because a tiny or
// unusual vocabulary may map a word to the unknown token (and then A and B could not be told apart).
const PROBES: readonly (readonly [string, string])[] = [
  ["query", "document"],
  ["a", "b"],
  ["1", "2"],
  ["x", "y"],
];

function indexOfRun(haystack: readonly number[], needle: readonly number[], from: number): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Reads the tokenizer's pair template from its public pair encoding: two probe texts are encoded as a pair, and
 * whatever surrounds their ids is the template. BERT, XLM-R (BGE) and any TemplateProcessing tokenizer get their
 * exact special tokens and type ids without a per-model table, and without reading tokenizer internals (which
 * transformers.js 4 no longer exposes).
 */
export function pairTemplate(tokenizer: PairTokenizer, options: { typeVocabSize?: number } = {}): PairTemplate {
  // Models with one token type (XLM-R: type_vocab_size 1) must see type 0 everywhere, whatever the tokenizer says.
  const oneType = options.typeVocabSize !== undefined && options.typeVocabSize <= 1;
  for (const [textA, textB] of PROBES) {
    const idsA = tokenizer.encode(textA, { add_special_tokens: false });
    const idsB = tokenizer.encode(textB, { add_special_tokens: false });
    if (idsA.length === 0 || idsB.length === 0 || idsA.join() === idsB.join()) continue;
    const pair = tokenizer(textA, {
      text_pair: textB,
      add_special_tokens: true,
      return_tensor: false,
      return_token_type_ids: true,
      padding: false,
      truncation: false,
    });
    const ids = Array.from(pair.input_ids, Number);
    const types = pair.token_type_ids && !oneType ? Array.from(pair.token_type_ids, Number) : ids.map(() => 0);
    const a = indexOfRun(ids, idsA, 0);
    const b = a < 0 ? -1 : indexOfRun(ids, idsB, a + idsA.length);
    if (a < 0 || b < 0) continue;
    const segment = (from: number, to: number): Segment => ({ ids: ids.slice(from, to), types: types.slice(from, to) });
    const prefix = segment(0, a);
    const middle = segment(a + idsA.length, b);
    const suffix = segment(b + idsB.length, ids.length);
    return {
      prefix,
      middle,
      suffix,
      typeA: types[a] ?? 0,
      typeB: types[b] ?? 0,
      specialCount: prefix.ids.length + middle.ids.length + suffix.ids.length,
    };
  }
  throw new RerankError(
    "Cannot read the tokenizer's pair template: its encoding of a (query, document) pair does not contain the two texts' own tokens in order. " +
      "A cross-encoder's tokenizer must encode a text pair (tokenizer.json with a pair post-processor).",
  );
}

const WHITESPACE_BEFORE = /\s\S*$/;

/**
 * Token ids of `text` without special tokens, at most `limit` of them. A 100 kB chunk is not tokenized whole to
 * keep its first 500 tokens: a prefix cut at whitespace is tokenized and grown until it yields more than `limit`
 * tokens. Word-level pre-tokenizers (BERT, Metaspace) tokenize such a prefix exactly as the start of the full text.
 */
export function encodeCapped(tokenizer: Pick<PairTokenizer, "encode">, text: string, limit: number): number[] {
  for (let window = Math.max(1024, limit * 8); window < text.length; window *= 2) {
    const head = text.slice(0, window + 1);
    const cut = head.search(WHITESPACE_BEFORE);
    if (cut <= 0) break;
    const ids = tokenizer.encode(text.slice(0, cut), { add_special_tokens: false });
    if (ids.length > limit) return ids.slice(0, limit);
  }
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  return ids.length > limit ? ids.slice(0, limit) : ids;
}

/** Pairs encoded for long-document scoring: one entry per window, each knowing its pair and its span in the text. */
export interface EncodedWindows {
  encoded: EncodedPair[];
  /** The input pair each window belongs to. */
  pairOf: number[];
  /** The window's span in the pair's text; undefined when the text fit whole. */
  spans: (ChunkSpan | undefined)[];
}

export interface WindowingOptions {
  /** Most windows per document. */
  maxChunks: number;
  /** Tokens shared by consecutive windows. */
  overlap: number;
}

export interface PairEncoderOptions {
  /** Total tokens per pair, special tokens included. */
  maxLength: number;
  /** Tokens the query may keep; the document gets the rest. */
  maxQueryLength: number;
}

/**
 * Encodes (query, document) pairs with FlagEmbedding's truncation: the query is cut to its budget, then only the
 * document is cut so the pair fits `maxLength` with every special token kept. Each distinct text of a call is
 * tokenized once (a query shared by 50 candidates is encoded once).
 */
export class PairEncoder {
  readonly template: PairTemplate;
  readonly #tokenizer: PairTokenizer;

  constructor(
    tokenizer: PairTokenizer,
    readonly options: PairEncoderOptions,
    template?: PairTemplate,
  ) {
    this.#tokenizer = tokenizer;
    this.template = template ?? pairTemplate(tokenizer);
    const { maxLength, maxQueryLength } = options;
    if (maxLength < this.template.specialCount + 2) {
      throw new InvalidOptionError(
        `maxLength ${maxLength} leaves no room for a query and a document after ${this.template.specialCount} special tokens.`,
      );
    }
    if (maxQueryLength < 1) throw new InvalidOptionError(`maxQueryLength must be at least 1, got ${maxQueryLength}.`);
  }

  get padTokenId(): number {
    return this.#tokenizer.pad_token_id ?? 0;
  }

  encodePairs(pairs: readonly TextPair[]): EncodedPair[] {
    const { maxLength, maxQueryLength } = this.options;
    const contentBudget = maxLength - this.template.specialCount;
    // Leave the document at least one token even when the query is long.
    const queryBudget = Math.min(maxQueryLength, contentBudget - 1);
    const queries = new Map<string, number[]>();
    const documents = new Map<string, number[]>();
    const cached = (cache: Map<string, number[]>, text: string, limit: number): number[] => {
      let ids = cache.get(text);
      if (ids === undefined) {
        ids = encodeCapped(this.#tokenizer, text, limit);
        cache.set(text, ids);
      }
      return ids;
    };
    return pairs.map(([query, document]) => {
      const q = cached(queries, query, queryBudget);
      const d = cached(documents, document, contentBudget);
      return this.#assemble(q, d.length > contentBudget - q.length ? d.slice(0, contentBudget - q.length) : d);
    });
  }

  /**
   * Encodes each pair, splitting a document that does not fit beside its query into windows of whole pieces that
   * fill the budget left after the query. A document that fits is encoded exactly as `encodePairs` does.
   */
  encodeWindows(pairs: readonly TextPair[], { maxChunks, overlap }: WindowingOptions): EncodedWindows {
    const { maxLength, maxQueryLength } = this.options;
    const contentBudget = maxLength - this.template.specialCount;
    const queryBudget = Math.min(maxQueryLength, contentBudget - 1);
    const queries = new Map<string, number[]>();
    const wholes = new Map<string, number[]>();
    const windowed = new Map<string, { ids: number[]; span: ChunkSpan }[]>();
    const pieceIds = new Map<string, number[]>();
    const encode = (text: string) => this.#tokenizer.encode(text, { add_special_tokens: false });
    const result: EncodedWindows = { encoded: [], pairOf: [], spans: [] };
    pairs.forEach(([query, document], pairIndex) => {
      let q = queries.get(query);
      if (q === undefined) queries.set(query, (q = encodeCapped(this.#tokenizer, query, queryBudget)));
      const budget = contentBudget - q.length;
      let whole = wholes.get(document);
      // One token over the content budget tells "fits" from "was cut" for every query length.
      if (whole === undefined) wholes.set(document, (whole = encodeCapped(this.#tokenizer, document, contentBudget + 1)));
      if (whole.length <= budget || maxChunks <= 1) {
        result.encoded.push(this.#assemble(q, whole.length > budget ? whole.slice(0, budget) : whole));
        result.pairOf.push(pairIndex);
        result.spans.push(undefined);
        return;
      }
      const key = `${budget}\u0000${document}`;
      let windows = windowed.get(key);
      if (windows === undefined) windowed.set(key, (windows = tokenWindows(document, { budget, maxChunks, overlap }, encode, pieceIds)));
      for (const { ids, span } of windows) {
        result.encoded.push(this.#assemble(q, ids));
        result.pairOf.push(pairIndex);
        result.spans.push(span);
      }
    });
    return result;
  }

  #assemble(query: number[], document: number[]): EncodedPair {
    const { prefix, middle, suffix, typeA, typeB } = this.template;
    const inputIds = [...prefix.ids, ...query, ...middle.ids, ...document, ...suffix.ids];
    const tokenTypeIds = [
      ...prefix.types,
      ...new Array<number>(query.length).fill(typeA),
      ...middle.types,
      ...new Array<number>(document.length).fill(typeB),
      ...suffix.types,
    ];
    return { inputIds, tokenTypeIds };
  }
}
