import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AutoTokenizer, PreTrainedTokenizer } from "@huggingface/transformers";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeCapped, PairEncoder, type PairTokenizer, pairTemplate } from "../../../src/local/runtime/pair_encoder.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";
import { describeWithShared, SHARED_DIR } from "../../support/shared.js";

const LONG_DOC = Array.from({ length: 400 }, (_, i) => `sentence ${i} mentions proteins, genes and cells.`).join(" ");
const LONG_QUERY = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");

describeWithShared("PairEncoder with the real ms-marco-MiniLM-L-6-v2 tokenizer", () => {
  let tokenizer: PairTokenizer & PreTrainedTokenizer;
  const CLS = 101;
  const SEP = 102;

  beforeAll(async () => {
    tokenizer = (await AutoTokenizer.from_pretrained(join(SHARED_DIR, "models/ms-marco-MiniLM-L-6-v2-tokenizer"))) as never;
  });

  it("reads the BERT pair template from the tokenizer: [CLS] A [SEP] B [SEP], types 0 then 1", () => {
    const t = pairTemplate(tokenizer);
    expect(t.prefix.ids).toEqual([CLS]);
    expect(t.middle.ids).toEqual([SEP]);
    expect(t.suffix.ids).toEqual([SEP]);
    expect([t.typeA, t.typeB, t.middle.types[0], t.suffix.types[0]]).toEqual([0, 1, 0, 1]);
    expect(t.specialCount).toBe(3);
  });

  it("encodes short pairs exactly as the tokenizer's own pair encoding", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 512, maxQueryLength: 384 });
    const [pair] = encoder.encodePairs([["what is a protein?", "Proteins are large biomolecules."]]);
    const reference = tokenizer("what is a protein?", { text_pair: "Proteins are large biomolecules.", return_token_type_ids: true });
    expect(pair!.inputIds).toEqual(Array.from(reference.input_ids.data as BigInt64Array, Number));
    expect(pair!.tokenTypeIds).toEqual(Array.from(reference.token_type_ids.data as BigInt64Array, Number));
  });

  it("cuts a long document only, keeps the query whole and every special token, total = maxLength", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 512, maxQueryLength: 384 });
    const query = "which proteins regulate cell growth?";
    const queryIds = tokenizer.encode(query, { add_special_tokens: false });
    const docIds = tokenizer.encode(LONG_DOC, { add_special_tokens: false });
    const [pair] = encoder.encodePairs([[query, LONG_DOC]]);
    const ids = pair!.inputIds;
    expect(ids).toHaveLength(512);
    expect(ids[0]).toBe(CLS);
    expect(ids.slice(1, 1 + queryIds.length)).toEqual(queryIds);
    expect(ids[1 + queryIds.length]).toBe(SEP);
    expect(ids.at(-1)).toBe(SEP);
    expect(ids.slice(2 + queryIds.length, -1)).toEqual(docIds.slice(0, 512 - 3 - queryIds.length));
  });

  it("cuts a long query to its budget so the document still gets the rest", () => {
    const encoder = new PairEncoder(tokenizer, { maxLength: 512, maxQueryLength: 384 });
    const [pair] = encoder.encodePairs([[LONG_QUERY, LONG_DOC]]);
    const ids = pair!.inputIds;
    expect(ids).toHaveLength(512);
    expect(ids.indexOf(SEP)).toBe(1 + 384);
    expect(ids.filter((id) => id === SEP)).toHaveLength(2);
    expect(pair!.tokenTypeIds.filter((t) => t === 1)).toHaveLength(512 - 384 - 2);
  });

  it("beats transformers.js's own truncation, which lets a long query push the document out", () => {
    const naive = tokenizer(LONG_QUERY + " " + LONG_QUERY, { text_pair: "the document", truncation: true, max_length: 128 });
    const naiveIds = Array.from(naive.input_ids.data as BigInt64Array, Number);
    const docIds = tokenizer.encode("the document", { add_special_tokens: false });
    // The naive path keeps almost nothing of the document; ours keeps it whole.
    expect(naiveIds.join(",")).not.toContain(docIds.join(","));
    const [pair] = new PairEncoder(tokenizer, { maxLength: 128, maxQueryLength: 96 }).encodePairs([[LONG_QUERY + " " + LONG_QUERY, "the document"]]);
    expect(pair!.inputIds).toHaveLength(96 + 3 + docIds.length);
    expect(pair!.inputIds.slice(-1 - docIds.length, -1)).toEqual(docIds);
  });

  it("gives the document at least one token even when the query budget is the whole pair", () => {
    const [pair] = new PairEncoder(tokenizer, { maxLength: 16, maxQueryLength: 16 }).encodePairs([[LONG_QUERY, LONG_DOC]]);
    expect(pair!.inputIds).toHaveLength(16);
    expect(pair!.tokenTypeIds.filter((t) => t === 1)).toHaveLength(2); // one document token + the closing [SEP]
  });

  it("tokenizes a long text's prefix only, with the same ids as tokenizing it whole", () => {
    const huge = LONG_DOC.repeat(20); // ~1 MB
    const full = tokenizer.encode(huge, { add_special_tokens: false });
    expect(encodeCapped(tokenizer, huge, 509)).toEqual(full.slice(0, 509));
    expect(encodeCapped(tokenizer, "short text", 509)).toEqual(tokenizer.encode("short text", { add_special_tokens: false }));
  });

  it("tokenizes each distinct text once per call", () => {
    const calls: string[] = [];
    const counting = Object.assign((text: string, options: never) => tokenizer(text, options), {
      encode: (text: string, options: { add_special_tokens: boolean }) => {
        calls.push(text);
        return tokenizer.encode(text, options);
      },
    }) as unknown as PairTokenizer;
    const encoder = new PairEncoder(counting, { maxLength: 128, maxQueryLength: 96 }, pairTemplate(tokenizer));
    encoder.encodePairs([
      ["q", "doc one"],
      ["q", "doc two"],
      ["q", "doc one"],
    ]);
    expect(calls.sort()).toEqual(["doc one", "doc two", "q"]);
  });
});

describe("PairEncoder templates from tokenizer.json", () => {
  it("reads the XLM-RoBERTa (BGE) template: <s> A </s></s> B </s>, all type 0 for a one-type model", () => {
    const fixture = JSON.parse(readFileSync(join(FIXTURE_RERANKER, "tokenizer.json"), "utf8"));
    const vocab = fixture.model.vocab as Record<string, number>;
    const json = {
      ...fixture,
      added_tokens: [...fixture.added_tokens, { id: 900, content: "<s>", special: true }, { id: 902, content: "</s>", special: true }],
      model: { ...fixture.model, vocab: { ...vocab, "<s>": 900, "</s>": 902 } },
      post_processor: { type: "RobertaProcessing", sep: ["</s>", 902], cls: ["<s>", 900], trim_offsets: true, add_prefix_space: true },
    };
    const tokenizer = new PreTrainedTokenizer(json, { model_max_length: 512 }) as unknown as PairTokenizer;
    const t = pairTemplate(tokenizer, { typeVocabSize: 1 });
    expect([t.prefix.ids, t.middle.ids, t.suffix.ids]).toEqual([[900], [902, 902], [902]]);
    expect(t.specialCount).toBe(4);
    expect(pairTemplate(tokenizer).typeB).toBe(1); // what transformers.js's RobertaProcessing says, clamped above
    const [pair] = new PairEncoder(tokenizer, { maxLength: 12, maxQueryLength: 4 }, t).encodePairs([["the cat", LONG_DOC]]);
    expect(pair!.inputIds).toHaveLength(12);
    expect(pair!.inputIds.slice(0, 1)).toEqual([900]);
    expect(pair!.inputIds.slice(3, 5)).toEqual([902, 902]);
    expect(pair!.inputIds.at(-1)).toBe(902);
    expect(new Set(pair!.tokenTypeIds)).toEqual(new Set([0]));
  });

  it("rejects a maxLength with no room for a query and a document", async () => {
    const tokenizer = (await AutoTokenizer.from_pretrained(FIXTURE_RERANKER)) as unknown as PairTokenizer;
    expect(() => new PairEncoder(tokenizer, { maxLength: 4, maxQueryLength: 3 })).toThrow(/maxLength 4 leaves no room .* 3 special tokens/);
  });
});
