import { AutoTokenizer } from "@huggingface/transformers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { PairEncoder, type PairTokenizer, pairTemplate } from "../../src/local/runtime/pair_encoder.js";
import { FIXTURE_RERANKER, FIXTURE_XLMR } from "../support/fixtures.js";

// Truncated pairs stay within maxLength with every special token kept, on the committed fixture tokenizers (a
// BERT WordPiece and an XLM-R SentencePiece one): the query is cut to its budget, then only the document.

const WORDS = ["protein", "cell", "the", "of", "growth", "régulation", "naïve", "東京", "ß", "co-operate", "x", "42", "?", "!"];
const textArb = fc.oneof(
  fc.array(fc.constantFrom(...WORDS), { maxLength: 120 }).map((words) => words.join(" ")),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
);
// Past 1024 characters the document is tokenized from a growing prefix (encodeCapped): the kept tokens must still
// be the start of the full encoding.
const longTextArb = fc
  .array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ minLength: 1, maxLength: 12 })), { minLength: 200, maxLength: 700 })
  .map((words) => words.join(" "));

describe.each([
  ["BERT (tiny-bert-reranker)", FIXTURE_RERANKER],
  ["XLM-R (tiny-xlmr-reranker)", FIXTURE_XLMR],
])("PairEncoder on the %s fixture tokenizer (property)", (_, folder) => {
  let tokenizer: PairTokenizer;
  beforeAll(async () => {
    tokenizer = (await AutoTokenizer.from_pretrained(folder)) as unknown as PairTokenizer;
  });

  it("every pair fits maxLength, keeps all special tokens in place, and cuts the query then only the document", () => {
    const template = pairTemplate(tokenizer);
    const full = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    fc.assert(
      fc.property(
        textArb,
        fc.oneof(textArb, longTextArb),
        fc.integer({ min: template.specialCount + 2, max: 96 }),
        fc.integer({ min: 1, max: 96 }),
        (query, document, maxLength, maxQueryLength) => {
          const encoder = new PairEncoder(tokenizer, { maxLength, maxQueryLength }, template);
          const [pair] = encoder.encodePairs([[query, document]]);
          const ids = pair!.inputIds;
          expect(ids.length).toBeLessThanOrEqual(maxLength);
          expect(pair!.tokenTypeIds).toHaveLength(ids.length);
          const { prefix, middle, suffix } = template;
          expect(ids.slice(0, prefix.ids.length)).toEqual(prefix.ids);
          expect(ids.slice(ids.length - suffix.ids.length)).toEqual(suffix.ids);
          // Query tokens: a prefix of the full query encoding, within the query budget.
          const queryBudget = Math.min(maxQueryLength, maxLength - template.specialCount - 1);
          const queryIds = full(query);
          const keptQuery = Math.min(queryIds.length, queryBudget);
          expect(ids.slice(prefix.ids.length, prefix.ids.length + keptQuery)).toEqual(queryIds.slice(0, keptQuery));
          const middleAt = prefix.ids.length + keptQuery;
          expect(ids.slice(middleAt, middleAt + middle.ids.length)).toEqual(middle.ids);
          // Document tokens: a prefix of its full encoding, as many as fit.
          const docIds = full(document);
          const keptDoc = ids.length - template.specialCount - keptQuery;
          expect(keptDoc).toBe(Math.min(docIds.length, maxLength - template.specialCount - keptQuery));
          expect(ids.slice(middleAt + middle.ids.length, middleAt + middle.ids.length + keptDoc)).toEqual(docIds.slice(0, keptDoc));
        },
      ),
      { numRuns: 150 },
    );
  });
});
