import { RerankError } from "../errors.js";
import { describeValue } from "../options.js";
import type { KeyValueStore } from "./lru_store.js";
import { sha256Hex } from "./sha256.js";
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
   * is encoded again and overwritten, never scored.
   */
  async windowsOf(
    identity: string,
    dim: number,
    texts: readonly string[],
    encode: (texts: string[]) => Promise<Uint8Array[]>,
  ): Promise<StoredWindow[][]> {
    const keys = await Promise.all(texts.map((text) => this.keyOf(identity, text)));
    const found = new Map<string, Promise<StoredWindow[]>>();
    const toRead: number[] = [];
    keys.forEach((key, i) => {
      const pending = this.#inflight.get(key);
      // Another call's encoding may fail for its own reason (its caller aborted): then this call encodes the text itself.
      if (pending !== undefined)
        found.set(
          key,
          pending.catch(() => this.windowsOf(identity, dim, [texts[i]!], encode).then(([w]) => w!)),
        );
      else if (!found.has(key)) toRead.push(i);
    });
    const textOf = new Map(toRead.map((i) => [keys[i]!, texts[i]!]));
    const readKeys = [...textOf.keys()];
    const values: unknown = readKeys.length > 0 ? await this.store.mget(readKeys) : [];
    if (!Array.isArray(values) || values.length !== readKeys.length) {
      throw new RerankError(
        `${this.owner}: the store's mget returned ${Array.isArray(values) ? `${values.length} values` : describeValue(values)} for ${readKeys.length} keys; ` +
          "a store must return one value (or undefined) per key, in order.",
      );
    }
    const missing: { key: string; text: string }[] = [];
    readKeys.forEach((key, k) => {
      const text = textOf.get(key)!;
      const windows = readable(values[k], dim, text.length);
      if (windows !== undefined) {
        this.stats.hits += 1;
        found.set(key, Promise.resolve(windows));
      } else if (!found.has(key)) missing.push({ key, text });
    });
    if (missing.length > 0) {
      this.stats.misses += missing.length;
      const forget = () => missing.forEach((m) => this.#inflight.delete(m.key));
      // Forgotten once settled, before any waiter runs: a failed encode is retried by the next call, not remembered.
      const work = encode(missing.map((m) => m.text))
        .then(async (packed) => {
          await this.store.mset(missing.map((m, i) => [m.key, packed[i]!]));
          return packed.map((bytes) => unpackWindows(bytes).windows);
        })
        .finally(forget);
      missing.forEach((m, i) => {
        const one = work.then((all) => all[i]!);
        this.#inflight.set(m.key, one);
        found.set(m.key, one);
      });
    }
    return Promise.all(keys.map((key) => found.get(key)!));
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
