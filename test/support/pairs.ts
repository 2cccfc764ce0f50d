import type { TextPair } from "../../src/index.js";

const WORDS = (
  "the river bank money market city rain water cat dog paris france capital london science cell gene protein cancer " +
  "study patient disease health drug treatment effect learn language retrieval ranking model query document search"
).split(" ");

/** Deterministic (query, passage) pairs of varied lengths (a few to a few hundred tokens), a few queries shared. */
export function samplePairs(count: number, seed = 7): TextPair[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const text = (words: number) => Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(" ");
  const queries = Array.from({ length: 4 }, () => text(3 + Math.floor(next() * 6)) + "?");
  return Array.from({ length: count }, (_, i) => [queries[i % queries.length]!, text(1 + Math.floor(next() ** 2 * 300))] as const);
}
