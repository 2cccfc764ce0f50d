/**
 * Kendall's τ-b by its definition, pair by pair (O(n²)): the reference the O(n log n) count in
 * src/monitor/rank_agreement.ts must equal exactly, and the cost it replaced (bench:monitor).
 */
export function pairwiseTauB(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  let [concordant, discordant, tiedX, tiedY] = [0, 0, 0, 0];
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
