/**
 * Kendall's τ-b between two rankings of the same items (Kendall 1945; the variant `scipy.stats.kendalltau` computes
 * by default): (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)), where n₀ = n(n−1)/2 and n₁, n₂ count the pairs
 * tied in each ranking. 1 means the same order, −1 the reverse. NaN when it is undefined (fewer than two items, or
 * every item tied in one ranking). Values are compared with `<` and `===`, so give finite numbers (the monitor gives
 * ranks and positions).
 *
 * Knight's algorithm (1966): sort by x (ties by y), count the pairs tied in x and in both, then count the discordant
 * pairs as the exchanges a merge sort by y makes. O(n log n) time and O(n) memory, so a query that returns 40,000
 * documents costs milliseconds, not the seconds the pairwise count took; every count is an exact integer, so the
 * result is the pairwise formula's to the last bit.
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  if (n < 2) return NaN;
  const order = orderByXThenY(x, y, n);
  const ys = new Float64Array(n);
  let tiedX = 0;
  let tiedBoth = 0;
  let runX = 1;
  let runBoth = 1;
  for (let i = 0; i < n; i++) {
    const at = order[i]!;
    ys[i] = y[at]!;
    if (i === 0) continue;
    const before = order[i - 1]!;
    if (x[at] === x[before]) {
      runX += 1;
      runBoth = y[at] === y[before] ? runBoth + 1 : 1;
    } else runX = runBoth = 1;
    tiedX += runX - 1;
    tiedBoth += runBoth - 1;
  }
  const discordant = sortCountingExchanges(ys);
  let tiedY = 0;
  let runY = 1;
  for (let i = 1; i < n; i++) {
    runY = ys[i] === ys[i - 1] ? runY + 1 : 1;
    tiedY += runY - 1;
  }
  const pairs = (n * (n - 1)) / 2;
  const concordant = pairs - tiedX - tiedY + tiedBoth - discordant;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  return denominator === 0 ? NaN : (concordant - discordant) / denominator;
}

const compare = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

/** Item indices sorted by x, ties by y. The monitor's x are positions 1..n, already in order: that costs no sort. */
function orderByXThenY(x: ArrayLike<number>, y: ArrayLike<number>, n: number): Uint32Array {
  const order = new Uint32Array(n);
  let ascending = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && !(x[i - 1]! < x[i]!)) ascending = false;
  }
  if (ascending) return order;
  // A plain array sorts with a comparator much faster than a typed array does in V8.
  const sorted = Array.from(order).sort((a, b) => compare(x[a]!, x[b]!) || compare(y[a]!, y[b]!));
  return Uint32Array.from(sorted);
}

/** Sorts `values` ascending in place (a stable bottom-up merge sort); returns the pairs i < j it found with values[i] > values[j]. */
function sortCountingExchanges(values: Float64Array<ArrayBuffer>): number {
  const n = values.length;
  let from = values;
  let to = new Float64Array(n);
  let exchanges = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let start = 0; start < n; start += 2 * width) {
      const middle = Math.min(start + width, n);
      const end = Math.min(start + 2 * width, n);
      let left = start;
      let right = middle;
      let out = start;
      while (left < middle && right < end) {
        // Equal values are not an exchange: a tie in y is neither concordant nor discordant.
        if (from[right]! < from[left]!) {
          exchanges += middle - left;
          to[out++] = from[right++]!;
        } else to[out++] = from[left++]!;
      }
      while (left < middle) to[out++] = from[left++]!;
      while (right < end) to[out++] = from[right++]!;
    }
    [from, to] = [to, from];
  }
  if (from !== values) values.set(from);
  return exchanges;
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
