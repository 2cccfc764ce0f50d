import { RerankError } from "../errors.js";
import { abortable } from "../cancellation.js";
import { type RerankResult, resultsFromScores, sortResults, validateRerankResults } from "../results.js";
import { type ChunkSpan, type CrossEncoder, type CrossEncoderCallOptions, isChunkSpan } from "./cross_encoder.js";

/** One scored text: its input index, its score, and for a text scored in windows, where its best window lies. */
export interface RankedText extends RerankResult {
  chunk?: ChunkSpan;
}

function describeSpan(chunk: unknown): string {
  if (chunk === null || typeof chunk !== "object") return `got ${String(chunk)}`;
  const { start, end } = chunk as { start?: unknown; end?: unknown };
  return `start ${String(start)}, end ${String(end)}`;
}

function checkCount(owner: string, count: number | undefined, expected: number): void {
  if (count !== expected) throw new RerankError(`${owner}: the cross-encoder returned ${count ?? "no"} scores for ${expected} documents.`);
}

/**
 * Scores each text against `query` with `scorer` (through `scoreDetailed` when it has one, for the best windows)
 * and returns every text best first, ties in input order. What the scorer returns is checked: one finite score per
 * text, each window inside its text. `owner` names the caller in errors. The one path from a CrossEncoder to a
 * ranking, so `CrossEncoderReranker` and the AI SDK adapter give the same order and the same numbers.
 */
export async function rankTexts(
  owner: string,
  scorer: CrossEncoder,
  query: string,
  texts: readonly string[],
  callOptions: CrossEncoderCallOptions = {},
): Promise<RankedText[]> {
  const signal = callOptions.signal;
  signal?.throwIfAborted();
  const pairs = texts.map((text) => [query, text] as const);
  let results: RankedText[];
  if (typeof scorer.scoreDetailed === "function") {
    // abortable: a scorer that ignores the signal must not turn an aborted call into a result.
    const detailed = await abortable(scorer.scoreDetailed(pairs, callOptions), signal);
    checkCount(owner, Array.isArray(detailed) ? detailed.length : undefined, texts.length);
    results = detailed.map((item, index) => {
      if (item === null || typeof item !== "object")
        throw new RerankError(`${owner}: the cross-encoder returned ${String(item)} for document ${index}.`);
      const { score, chunk } = item;
      // A window must lie in the scored text, or it would point at nothing (a custom scorer, a corrupt cache).
      if (chunk !== undefined && !isChunkSpan(chunk, texts[index]!.length)) {
        throw new RerankError(
          `${owner}: the cross-encoder returned an invalid best window for document ${index} (${describeSpan(chunk)}; the text has ${texts[index]!.length} characters).`,
        );
      }
      return chunk === undefined ? { index, relevanceScore: score } : { index, relevanceScore: score, chunk: { start: chunk.start, end: chunk.end } };
    });
  } else {
    const scores = await abortable(scorer.score(pairs, callOptions), signal);
    checkCount(owner, Array.isArray(scores) ? scores.length : undefined, texts.length);
    results = resultsFromScores(scores);
  }
  validateRerankResults(results, texts.length, "The cross-encoder");
  return sortResults(results) as RankedText[];
}
