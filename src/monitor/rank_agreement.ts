/**
 * Kendall's τ-b between two rankings of the same items (Kendall 1945; the variant `scipy.stats.kendalltau` computes
 * by default): (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)), where n₀ = n(n−1)/2 and n₁, n₂ count the pairs
 * tied in each ranking. 1 means the same order, −1 the reverse. NaN when it is undefined (fewer than two items, or
 * every item tied in one ranking). O(n²), for the tens of documents a reranker keeps.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiedX += 1;
      if (dy === 0) tiedY += 1;
      if (dx * dy > 0) concordant += 1;
      else if (dx * dy < 0) discordant += 1;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  return denominator === 0 ? NaN : (concordant - discordant) / denominator;
}

/**
 * Overlap@k between a stage's output and the first stage: the share of the stage's top k whose first-stage rank is at
 * most k (the first stage's top k are ranks 1..k). Undefined (NaN) when the stage kept fewer than k documents or
 * fewer than k candidates existed: "3 of 5" would then measure the cut, not the reranker.
 */
export function overlapAtK(firstStageRanks: readonly number[], k: number, candidates: number): number {
  if (firstStageRanks.length < k || candidates < k) return NaN;
  let shared = 0;
  for (let i = 0; i < k; i++) if (firstStageRanks[i]! <= k) shared += 1;
  return shared / k;
}
