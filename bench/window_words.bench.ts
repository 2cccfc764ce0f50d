/**
 * How many WordPiece tokens one counted word stands for in the server scorer's long-document windows
 * (`RerankServerCrossEncoder`'s `chunkWords`, counted by `pieceWords` since the client has no tokenizer), on the
 * kinds of text a window can hold. Tokenizer: ms-marco-MiniLM-L-6-v2's, from ../shared/models. Not a timing: the
 * figures are exact and repeat. "One word per run" is the count before URLs, numbers and base64 were counted by length.
 *
 *   npm run bench:words
 */
import { join } from "node:path";
import { AutoTokenizer } from "@huggingface/transformers";
import { pieceWords, splitPieces } from "../src/scorers/chunking.js";
import { SHARED_DIR } from "../scripts/proxy_models.js";
import { loadCandidates } from "./common.js";

const tokenizer = await AutoTokenizer.from_pretrained(join(SHARED_DIR, "models", "ms-marco-MiniLM-L-6-v2-tokenizer"));
// Seeded by position, so every run measures the same texts.
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729) % 251));
const kinds: [string, string[]][] = [
  ["SciFact abstracts (BM25 top 50 of 20 queries)", loadCandidates("scifact", 20, 50).flatMap((q) => q.texts)],
  ["TREC DL 2019 passages (same)", loadCandidates("trec-dl-2019", 20, 50).flatMap((q) => q.texts)],
  [
    "base64, lines of 76",
    Array.from({ length: 20 }, (_, s) =>
      bytes(3000, s)
        .toString("base64")
        .match(/.{1,76}/g)!
        .join("\n"),
    ),
  ],
  [
    "URLs",
    Array.from({ length: 5 }, (_, i) =>
      Array.from({ length: 50 }, (_, j) => `https://example.com/api/v${i}/items/${j * 7919}?q=search+term&page=${j}`).join(" "),
    ),
  ],
  ["code", [Array.from({ length: 200 }, (_, i) => `const value${i} = document.getElementById("item-${i}").dataset.itemValue ?? 0;`).join("\n")]],
  ["numbers", [Array.from({ length: 500 }, (_, i) => (i * 3.14159).toFixed(3)).join(", ")]],
  ["a results table", [Array.from({ length: 100 }, (_, i) => `| ${i} | 12.5% | p<0.001 | n=${i * 13} | CI 0.${i}–1.${i} |`).join("\n")]],
  [
    "French prose",
    [
      "Les chercheurs ont démontré que l'administration quotidienne d'anti-inflammatoires réduisait significativement l'inflammation chronique. ".repeat(
        30,
      ),
    ],
  ],
  [
    "German compounds",
    [
      "Die Donaudampfschifffahrtsgesellschaft und die Rechtsschutzversicherungsgesellschaften veröffentlichten Geschwindigkeitsbegrenzungen für Straßenverkehrsteilnehmer. ".repeat(
        30,
      ),
    ],
  ],
];

const lines = [
  "WordPiece tokens (ms-marco-MiniLM-L-6-v2) per counted word, over all texts of a kind; 256 counted words ≈ 256 × this many tokens.",
  "",
  "| text | tokens per counted word | tokens per word, one word per run |",
  "|---|---|---|",
];
for (const [name, texts] of kinds) {
  let tokens = 0;
  let words = 0;
  let runs = 0;
  for (const text of texts) {
    tokens += tokenizer.encode(text, { add_special_tokens: false }).length;
    const pieces = splitPieces(text);
    words += pieces.reduce((sum, { start, end }) => sum + pieceWords(text.slice(start, end)), 0);
    runs += pieces.length;
  }
  lines.push(`| ${name} | ${(tokens / words).toFixed(2)} | ${(tokens / runs).toFixed(2)} |`);
}
console.log(lines.join("\n"));
