import { InvalidOptionError, OverloadedError } from "../../errors.js";
import { describeValue } from "../../options.js";

/** Default load-shedding bound: see `maxQueuedPairs`. */
export const DEFAULT_MAX_QUEUED_PAIRS = 10_000;

/** `maxQueuedPairs`: a positive integer or Infinity (shedding off). */
export function checkMaxQueuedPairs(owner: string, value: unknown): number {
  if (value !== undefined && value !== Number.POSITIVE_INFINITY && !(Number.isInteger(value) && (value as number) >= 1)) {
    throw new InvalidOptionError(`${owner}: \`maxQueuedPairs\` must be a positive integer or Infinity, got ${describeValue(value)}.`);
  }
  return (value as number | undefined) ?? DEFAULT_MAX_QUEUED_PAIRS;
}

/**
 * Load shedding for one scorer instance: the pairs accepted and not yet scored. A call that would go over the bound
 * is refused at once with `OverloadedError`, before any work; a call larger than the bound still runs when nothing
 * else is waiting.
 */
export class PairQueue {
  #queued = 0;
  readonly #owner: string;
  readonly #model: string;

  constructor(
    owner: string,
    model: string,
    readonly maxQueuedPairs: number,
  ) {
    this.#owner = owner;
    this.#model = model;
  }

  /** Pairs accepted and not yet scored (or given back by an abort). */
  get queuedPairs(): number {
    return this.#queued;
  }

  /** Takes `count` pairs in, or throws `OverloadedError`; returns the release (idempotent), due however the call ends. */
  admit(count: number): () => void {
    const queued = this.#queued;
    if (queued > 0 && queued + count > this.maxQueuedPairs) {
      throw new OverloadedError(
        `${this.#owner} is overloaded: ${queued} pairs are waiting for "${this.#model}" and this call adds ${count}, over maxQueuedPairs (${this.maxQueuedPairs}). ` +
          "Retry later with backoff, spread the load over more processes, or raise maxQueuedPairs.",
        { queuedPairs: queued, requestedPairs: count, maxQueuedPairs: this.maxQueuedPairs },
      );
    }
    this.#queued = queued + count;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#queued -= count;
    };
  }
}
