/** A histogram bucket of 1-based ranks, `from`..`to` inclusive (`to` is Infinity for the last). */
export interface RankBucket {
  from: number;
  to: number;
  count: number;
}

const BUCKET_EDGES = [1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000];

/**
 * Exact counts of positive integers (ranks, candidate counts) up to `limit`, and one count for everything above:
 * fixed memory, exact quantiles below the limit.
 */
export class RankHistogram {
  readonly #counts: Uint32Array;
  #beyond = 0;
  #total = 0;
  #max = 0;

  constructor(readonly limit = 1000) {
    this.#counts = new Uint32Array(limit + 1);
  }

  get total(): number {
    return this.#total;
  }
  get max(): number {
    return this.#max;
  }

  add(value: number): void {
    if (!Number.isInteger(value) || value < 1) return;
    if (value <= this.limit) this.#counts[value]! += 1;
    else this.#beyond += 1;
    this.#total += 1;
    if (value > this.#max) this.#max = value;
  }

  /** The share of values ≤ `value`. */
  shareAtMost(value: number): number {
    if (this.#total === 0) return NaN;
    let seen = 0;
    for (let v = 1; v <= Math.min(value, this.limit); v++) seen += this.#counts[v]!;
    return seen / this.#total;
  }

  /**
   * The smallest value c with at least `share` of the values ≤ c (the nearest-rank quantile): for ranks, the
   * candidate count that would have covered that share of the picks. Infinity when it lies past the limit.
   */
  covering(share: number): number {
    if (this.#total === 0) return NaN;
    const needed = Math.ceil(share * this.#total - 1e-9);
    let seen = 0;
    for (let v = 1; v <= this.limit; v++) {
      seen += this.#counts[v]!;
      if (seen >= needed && seen > 0) return v;
    }
    return Infinity;
  }

  /** Counts in readable buckets (1, 2, 3, 4–5, 6–10, 11–20, …), empty buckets left out. */
  buckets(): RankBucket[] {
    const out: RankBucket[] = [];
    for (let b = 0; b < BUCKET_EDGES.length; b++) {
      const from = b === 0 ? 1 : BUCKET_EDGES[b - 1]! + 1;
      const to = BUCKET_EDGES[b]!;
      if (from > this.limit) break;
      let count = 0;
      for (let v = from; v <= Math.min(to, this.limit); v++) count += this.#counts[v]!;
      if (count > 0) out.push({ from, to, count });
    }
    const lastEdge = BUCKET_EDGES.filter((edge) => edge <= this.limit).at(-1) ?? 0;
    let rest = this.#beyond;
    for (let v = lastEdge + 1; v <= this.limit; v++) rest += this.#counts[v]!;
    if (rest > 0) out.push({ from: lastEdge + 1, to: Infinity, count: rest });
    return out;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#beyond = this.#total = this.#max = 0;
  }
}
