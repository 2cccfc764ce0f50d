import { abortable } from "../../cancellation.js";
import type { KeyValueStore } from "../../stores/lru_store.js";
import { StoreBackedCache, type StoreStats } from "../../stores/store_backed_cache.js";
import { type StoredWindow, type StoredShape, unpackWindows } from "./token_vectors.js";

/** A document's vectors as kept: the bytes the store holds and the windows they decode to. */
interface Entry {
  bytes: Uint8Array;
  windows: StoredWindow[];
}

/**
 * A late-interaction scorer's document vectors in a LangChain `BaseStore<string, Uint8Array>`, through the shared
 * store-backed cache (claims, aborts, write-back: stores/store_backed_cache.ts). An entry's key is a SHA-256 of
 * the scorer's identity (model, weights, the document conventions, precision, windows) and the text, so the store
 * holds no text, two models never read each other's vectors, and a change of settings never reads stale ones.
 */
export class DocumentVectorStore {
  readonly #cache: StoreBackedCache<Entry, Uint8Array>;

  constructor(store: KeyValueStore<Uint8Array>, owner: string) {
    this.#cache = new StoreBackedCache(store, owner);
  }

  /**
   * Each text's windows: read from the store, or encoded by `encode` (given the texts missing, once each) and
   * written back. An entry that does not decode to vectors of `shape` for its text (another version's or tool's
   * bytes, a cut-short or damaged file, another width) is encoded again and overwritten, never scored. With
   * `awaitWrites` (indexing), it settles once the store has written what was encoded.
   */
  async windowsOf(
    identity: string,
    shape: Omit<StoredShape, "textLength">,
    texts: readonly string[],
    encode: (texts: string[], signal: AbortSignal | undefined) => Promise<Uint8Array[]>,
    { stats, awaitWrites, signal }: { stats: StoreStats; awaitWrites: boolean; signal: AbortSignal | undefined },
  ): Promise<StoredWindow[][]> {
    const keys = await abortable(Promise.all(texts.map((text) => StoreBackedCache.keyOf(identity, text))), signal);
    const entries = await this.#cache.lookup({
      keys,
      decode: ([bytes], item) => readable(bytes, { ...shape, textLength: texts[item]!.length }),
      compute: async (items, computeSignal) => {
        const packed = await encode(
          items.map((item) => texts[item]!),
          computeSignal,
        );
        return packed.map((bytes) => ({ bytes, windows: unpackWindows(bytes).windows }));
      },
      entries: (key, { bytes }) => [[key, bytes]],
      stats,
      awaitWrites,
      signal,
    });
    return entries.map((entry) => entry.windows);
  }
}

/** The entry when it is ours and fits the text; undefined for anything else. */
function readable(value: unknown, shape: StoredShape): Entry | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return { bytes: value, windows: unpackWindows(value, shape).windows };
  } catch {
    return undefined;
  }
}
