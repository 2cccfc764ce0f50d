import { AutoTokenizer } from "@huggingface/transformers";
import { Tokenizer } from "tokenizers";
import { expect, it } from "vitest";
import { QWEN3_TOKENIZER } from "../../scripts/causal_models.js";
import { describeWithShared, SHARED_DIR } from "../support/shared.js";
import { COLLECTIONS, collectionTexts, HARD_TEXTS, KNOWN_DIVERGENCES } from "./texts.js";

// transformers.js's tokenization against Hugging Face's Rust `tokenizers` (what Python's transformers runs) on
// the real MiniLM and Qwen3 tokenizers, over every SciFact and TREC DL 2019/2020 passage and query. A model can
// only score as its reference does if it reads the same token ids.

const TOKENIZERS = {
  "ms-marco-MiniLM-L-6-v2 (BERT WordPiece)": `${SHARED_DIR}/models/ms-marco-MiniLM-L-6-v2-tokenizer`,
  "Qwen3 (byte-level BPE)": QWEN3_TOKENIZER,
};

function allTexts(): string[] {
  const texts = new Set<string>(HARD_TEXTS);
  for (const name of COLLECTIONS) {
    const { passages, queries } = collectionTexts(name);
    for (const t of passages.values()) texts.add(t);
    for (const t of queries.values()) texts.add(t);
  }
  return [...texts];
}

describeWithShared("transformers.js token ids equal Hugging Face tokenizers' (Rust)", () => {
  const texts = allTexts();

  it("reads all of SciFact and TREC DL 2019/2020 (passages and queries) and the hard texts", () => {
    expect(texts.length).toBeGreaterThan(5183 + 1109 + 4297 + 5396);
  });

  for (const [label, folder] of Object.entries(TOKENIZERS)) {
    it(`${label}: every text, special tokens included, and every query with its first passage as a pair`, { timeout: 600_000 }, async () => {
      const ours = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
      const reference = Tokenizer.fromFile(`${folder}/tokenizer.json`);
      const mismatches: { text: string; ours: number[]; reference: number[] }[] = [];
      for (let start = 0; start < texts.length; start += 256) {
        const chunk = texts.slice(start, start + 256);
        const encodings = await reference.encodeBatch(chunk);
        chunk.forEach((text, i) => {
          const a = ours.encode(text);
          const b = encodings[i]!.getIds();
          if (a.length !== b.length || a.some((id, j) => id !== b[j])) mismatches.push({ text, ours: a, reference: b });
        });
      }
      // Pairs: the pair template (special tokens, type ids) as the tokenizer's post-processor writes it.
      for (const [query, passage] of [
        ["what is rain?", "Rain is water falling from clouds."],
        [HARD_TEXTS[1]!, HARD_TEXTS[3]!],
      ] as const) {
        const a = ours(query, { text_pair: passage, return_tensor: false }) as unknown as { input_ids: number[]; token_type_ids?: number[] };
        const b = await reference.encode(query, passage);
        expect(a.input_ids).toEqual(b.getIds());
        if (a.token_type_ids !== undefined) expect(a.token_type_ids).toEqual(b.getTypeIds());
      }
      expect(mismatches.slice(0, 3), `${mismatches.length} of ${texts.length} texts tokenized differently`).toEqual([]);
      const known = KNOWN_DIVERGENCES[label];
      if (known !== undefined) {
        expect(ours.encode(known.text)).toEqual(known.ours);
        expect((await reference.encode(known.text)).getIds()).toEqual(known.reference);
      }
    });
  }
});
