import { InvalidOptionError } from "../errors.js";
import { checkFields } from "../options.js";
import { BucketStore } from "./bucket_store.js";

export interface QuantileSketchArgs {
  /**
   * The relative error α of every quantile: the estimate lies within α·|v| of the true value v.
   * @default 0.01
   */
  relativeAccuracy?: number;
  /**
   * Buckets kept per sign. Past this, the buckets nearest zero are merged, which costs accuracy only for the
   * smallest magnitudes. At α = 0.01, 2,048 buckets span 1e-9 to 1e9 without a merge.
   * @default 2048
   */
  maxBuckets?: number;
}

/** Magnitudes below this count as zero: their quantiles are off by at most this much, absolutely. */
export const MIN_INDEXABLE = 1e-9;

/**
 * A streaming quantile sketch with a relative-error guarantee (DDSketch: Masson, Rim and Lee, VLDB 2019). Each
 * value goes into the logarithmic bucket `⌈log_γ |x|⌉`, γ = (1+α)/(1−α); a bucket's representative is within α of
 * every value in it, so the quantile at rank ⌊q·(n−1)⌋ of the values seen is returned within α·|value| (and
 * within 1e-9 for values nearer zero than that), whatever the distribution. Memory is a bounded number of buckets,
 * not the values: a server can feed it for months. Chosen over a KLL or t-digest sketch because its error is in the
 * value (scores and milliseconds read best that way), it needs no randomness and it merges exactly.
 *
 * @example
 * ```ts
 * import { QuantileSketch } from "langchain-rerank/monitor";
 *
 * const sketch = new QuantileSketch({ relativeAccuracy: 0.01 });
 * for (let i = 1; i <= 1000; i++) sketch.add(i);
 * console.log(sketch.quantile(0.5)); // 497.7794014558159 (the median, 500, within 1%)
 * ```
 */
export class QuantileSketch {
  readonly relativeAccuracy: number;
  readonly maxBuckets: number;
  readonly #logGamma: number;
  readonly #positive: BucketStore;
  readonly #negative: BucketStore;
  #zeros = 0;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  constructor(fields: QuantileSketchArgs = {}) {
    fields = checkFields("QuantileSketch", fields, "{ relativeAccuracy: 0.01 }");
    const alpha = fields.relativeAccuracy ?? 0.01;
    if (typeof alpha !== "number" || !(alpha > 0 && alpha < 1)) {
      throw new InvalidOptionError(`QuantileSketch: \`relativeAccuracy\` must be a number in (0, 1), such as 0.01; got ${String(alpha)}.`);
    }
    const maxBuckets = fields.maxBuckets ?? 2048;
    if (!Number.isInteger(maxBuckets) || maxBuckets < 2) {
      throw new InvalidOptionError(`QuantileSketch: \`maxBuckets\` must be an integer ≥ 2; got ${String(maxBuckets)}.`);
    }
    this.relativeAccuracy = alpha;
    this.maxBuckets = maxBuckets;
    this.#logGamma = Math.log((1 + alpha) / (1 - alpha));
    this.#positive = new BucketStore(maxBuckets);
    this.#negative = new BucketStore(maxBuckets);
  }

  get count(): number {
    return this.#count;
  }
  get min(): number {
    return this.#count === 0 ? NaN : this.#min;
  }
  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }
  get mean(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }
  /** Buckets in use (both signs): the sketch's memory. */
  get buckets(): number {
    return this.#positive.size + this.#negative.size;
  }

  /** Adds a value; a non-finite one is ignored (it has no quantile). */
  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#count += 1;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    const magnitude = Math.abs(value);
    if (magnitude < MIN_INDEXABLE) {
      this.#zeros += 1;
      return;
    }
    const store = value > 0 ? this.#positive : this.#negative;
    store.add(Math.ceil(Math.log(magnitude) / this.#logGamma));
  }

  /** The value at rank ⌊q·(n−1)⌋ of those added (q in [0, 1]), within the stated error; NaN when empty. */
  quantile(q: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.floor(Math.min(1, Math.max(0, q)) * (this.#count - 1));
    let seen = 0;
    for (const [key, count] of this.#negative.ascending().reverse()) {
      seen += count;
      if (seen > rank) return this.#clamp(-this.#representative(key));
    }
    seen += this.#zeros;
    if (seen > rank) return this.#clamp(0);
    for (const [key, count] of this.#positive.ascending()) {
      seen += count;
      if (seen > rank) return this.#clamp(this.#representative(key));
    }
    return this.#max;
  }

  /** Several quantiles at once, e.g. `{ p50, p95, p99 }` for `[0.5, 0.95, 0.99]`. */
  quantiles(qs: readonly number[]): Record<string, number> {
    return Object.fromEntries(qs.map((q) => [`p${Math.round(q * 1000) / 10}`, this.quantile(q)]));
  }

  reset(): void {
    this.#positive.clear();
    this.#negative.clear();
    this.#zeros = this.#count = this.#sum = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
  }

  #representative(key: number): number {
    // Bucket `key` holds (γ^(key−1), γ^key]; this point is within α of both ends.
    return (2 * Math.exp(key * this.#logGamma)) / (1 + Math.exp(this.#logGamma));
  }

  // The exact extremes are known: an estimate never lies outside them.
  #clamp(value: number): number {
    return Math.min(this.#max, Math.max(this.#min, value));
  }
}
