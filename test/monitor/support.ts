import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import type { CrossEncoder, TextPair } from "../../src/index.js";

/** A first stage with a known order: each query returns its list, as given. */
export class ListRetriever extends BaseRetriever {
  lc_namespace = ["langchain_rerank", "test", "retrievers"];
  constructor(private readonly lists: Record<string, string[]>) {
    super();
  }
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    return (this.lists[query] ?? []).map((text) => new Document({ pageContent: text, metadata: { source: text } }));
  }
}

/** A cross-encoder that reads its scores from a table: `table[query][text]`, optionally after a delay. */
export function tableScorer(table: Record<string, Record<string, number>>, delayMs?: () => number): CrossEncoder & { model: string } {
  return {
    model: "table",
    async score(pairs: readonly TextPair[]) {
      if (delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, delayMs()));
      return pairs.map(([query, text]) => {
        const score = table[query]?.[text];
        if (score === undefined) throw new Error(`no score for ${query}/${text}`);
        return score;
      });
    },
  };
}

export const SIX = ["d1", "d2", "d3", "d4", "d5", "d6"];

/**
 * Three queries over six candidates d1..d6 (first-stage ranks 1..6), designed so that top 3 after reranking is
 * A: d2 d1 d5 (ranks 2 1 5), B: d1 d3 d4 (1 3 4), C: d6 d5 d4 (6 5 4). Scores are scaled per query (A ×1, B ×0.5,
 * C ×0.25) so the kept scores are nine distinct values.
 */
export const DESIGNED = {
  lists: { A: SIX, B: SIX, C: SIX },
  table: {
    A: { d1: 0.8, d2: 0.9, d3: 0.1, d4: 0.2, d5: 0.7, d6: 0.3 },
    B: { d1: 0.45, d2: 0.05, d3: 0.4, d4: 0.35, d5: 0.1, d6: 0.15 },
    C: { d1: 0.025, d2: 0.05, d3: 0.075, d4: 0.175, d5: 0.2, d6: 0.225 },
  },
  ranks: { A: [2, 1, 5], B: [1, 3, 4], C: [6, 5, 4] },
} as const;
