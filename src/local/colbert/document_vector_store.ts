import { abortable } from "../../cancellation.js";
import { RerankError } from "../../errors.js";
import { describeValue } from "../../options.js";
import type { KeyValueStore } from "../../stores/lru_store.js";
import { sha256Hex } from "../../stores/sha256.js";
import { type StoredWindow, unpackWindows } from "./token_vectors.js";

/** Lookups of stored document vectors since the scorer was made. */
export interface VectorStoreStats {
  /** Documents whose vectors were read from the store. */
  hits: number;
  /** Documents encoded because the store had no (readable) entry for them. */
  misses: number;
}

/**
 * A late-interaction scorer's document vectors in a LangChain `BaseStore<string, Uint8Array>`. An entry's key is a
 * SHA-256 of the scorer's identity (model, weights, the document conventions, precision, windows) and the text, so
 * the store holds no text, two models never read each other's vectors, and a change of settings never reads stale
 * ones. A document being encoded by one call is waited for by a concurrent call, not encoded twice.
 */
export class DocumentVectorStore {
  readonly stats: VectorStoreStats = { hits: 0, misses: 0 };
  readonly #inflight = new Map<string, Promise<StoredWindow[]>>();

  constructor(
    readonly store: KeyValueStore<Uint8Array>,
    private readonly owner: string,
  ) {}

  keyOf(identity: string, text: string): Promise<string> {
    return sha256Hex(JSON.stringify([identity, text]));
  }

  /**
   * Each text's windows: read from the store, or encoded by `encode` (given the texts missing, once each) and
   * written back. An entry that is not this version's bytes, has another width, or a window past the end of its text
   * is encoded again and overwritten, never scored. A text is claimed before the store is read, so a concurrent call
   * waits for this one instead of reading and encoding it too; an abort rejects at once and releases the claims.
   */
  async windowsOf(
    identity: string,
    dim: number,
    texts: readonly string[],
    encode: (texts: string[]) => Promise<Uint8Array[]>,
    signal?: AbortSignal,
  ): Promise<StoredWindow[][]> {
    const keys = await abortable(Promise.all(texts.map((text) => this.keyOf(identity, text))), signal);
    signal?.throwIfAborted();
    const found = new Map<string, Promise<StoredWindow[]>>();
    const claimed: Claim[] = [];
    keys.forEach((key, i) => {
      if (found.has(key)) return;
      const pending = this.#inflight.get(key);
      if (pending !== undefined) {
        // Another call's claim may fail for its own reason (its caller aborted): then this call reads or encodes the
        // text itself.
        found.set(
          key,
          pending.catch(() => this.windowsOf(identity, dim, [texts[i]!], encode, signal).then(([w]) => w!)),
        );
        return;
      }
      const claim = new Claim(key, texts[i]!);
      this.#inflight.set(key, claim.promise);
      found.set(key, claim.promise);
      claimed.push(claim);
    });
    if (claimed.length > 0) {
      this.#fill(claimed, dim, encode, signal)
        .catch((error: unknown) => claimed.forEach((c) => c.reject(error)))
        // Forgotten once settled: a failed claim is retried by the next call, not remembered.
        .finally(() => claimed.forEach((c) => this.#inflight.delete(c.key)));
    }
    return abortable(Promise.all(keys.map((key) => found.get(key)!)), signal);
  }

  /** Reads the claimed texts' entries, encodes those the store lacks, writes them back, and settles each claim. */
  async #fill(claimed: Claim[], dim: number, encode: (texts: string[]) => Promise<Uint8Array[]>, signal?: AbortSignal): Promise<void> {
    const values: unknown = await abortable(this.store.mget(claimed.map((c) => c.key)), signal);
    if (!Array.isArray(values) || values.length !== claimed.length) {
      throw new RerankError(
        `${this.owner}: the store's mget returned ${Array.isArray(values) ? `${values.length} values` : describeValue(values)} for ${claimed.length} keys; ` +
          "a store must return one value (or undefined) per key, in order.",
      );
    }
    const missing: Claim[] = [];
    claimed.forEach((claim, k) => {
      const windows = readable(values[k], dim, claim.text.length);
      if (windows === undefined) missing.push(claim);
      else {
        this.stats.hits += 1;
        claim.resolve(windows);
      }
    });
    if (missing.length === 0) return;
    this.stats.misses += missing.length;
    const packed = await encode(missing.map((m) => m.text));
    await abortable(this.store.mset(missing.map((m, i) => [m.key, packed[i]!])), signal);
    missing.forEach((m, i) => m.resolve(unpackWindows(packed[i]!).windows));
  }
}

/** One text this call reads or encodes for every concurrent call that needs it. */
class Claim {
  readonly promise: Promise<StoredWindow[]>;
  resolve!: (windows: StoredWindow[]) => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly key: string,
    readonly text: string,
  ) {
    this.promise = new Promise<StoredWindow[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(() => {}); // its waiters handle a failure; no waiter is not an unhandled rejection
  }
}

/** The entry's windows when it is ours and fits the text; undefined for anything else. */
function readable(value: unknown, dim: number, textLength: number): StoredWindow[] | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    const stored = unpackWindows(value);
    if (stored.dim !== dim || stored.windows.length === 0) return undefined;
    if (stored.windows.some((w) => w.span !== undefined && (w.span.end > textLength || w.span.start > w.span.end))) return undefined;
    return stored.windows;
  } catch {
    return undefined;
  }
}
