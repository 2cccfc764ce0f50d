/**
 * Process-wide sharing of loaded models: instances asking for the same key share one load (and one in-flight
 * download: concurrent downloads of a model can corrupt transformers.js's cache), a failed load is forgotten so
 * the next call retries, and the model is freed when its last user disposes of it.
 * Kept on globalThis so the ESM and CJS builds, if both end up in one process, still share.
 */
interface Entry {
  promise: Promise<unknown>;
  users: number;
  dispose: (value: never) => Promise<void>;
}

const REGISTRY_KEY = Symbol.for("langchain-rerank.model-registry");
const globals = globalThis as { [REGISTRY_KEY]?: Map<string, Entry> };
const entries: Map<string, Entry> = (globals[REGISTRY_KEY] ??= new Map());

export function acquireModel<T>(key: string, load: () => Promise<T>, dispose: (value: T) => Promise<void>): Promise<T> {
  let entry = entries.get(key);
  if (entry === undefined) {
    const created: Entry = { promise: load(), users: 0, dispose: dispose as (value: never) => Promise<void> };
    created.promise.catch(() => {
      if (entries.get(key) === created) entries.delete(key);
    });
    entries.set(key, created);
    entry = created;
  }
  entry.users += 1;
  return entry.promise as Promise<T>;
}

/** Drops one user of `key`; the last one frees the model. */
export async function releaseModel(key: string): Promise<void> {
  const entry = entries.get(key);
  if (entry === undefined) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  entries.delete(key);
  const value = await entry.promise.catch(() => undefined);
  if (value !== undefined) await entry.dispose(value as never);
}

/** How many users share `key` (0 when not loaded): for tests and diagnostics. */
export function modelUsers(key: string): number {
  return entries.get(key)?.users ?? 0;
}
