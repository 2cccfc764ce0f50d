import { abortable } from "../../cancellation.js";
import { acquireModel, releaseModel } from "./model_registry.js";

// The load/dispose lifecycle of a scorer instance's hold on a shared model, whatever it loads: a model loads once
// per process through the model registry (shared by every instance asking for the same key), a failed load is
// retried by the next call, and `dispose` waits for its own calls only. A scorer composes one with what it loads
// (`load`) and what it derives from the shared load for itself (`prepare`: an encoder, a label index).

export interface ModelLifecycleArgs<Loaded, Prepared> {
  /** The registry key: instances with equal keys share one load. */
  key(): Promise<string>;
  /** Loads the model (runs once per key per process, while some instance holds it). */
  load(): Promise<Loaded>;
  /** Frees a load when its last holder lets go. */
  free(loaded: Loaded): Promise<void>;
  /** What this instance derives from the shared load; a throw gives the hold back and fails the call. */
  prepare(loaded: Loaded): Prepared;
}

/** A gate taken before the model is waited for, e.g. load shedding; returns its release. */
export type Admission = () => () => void;

export class ModelLifecycle<Loaded, Prepared> {
  readonly #args: ModelLifecycleArgs<Loaded, Prepared>;
  #prepared: Promise<Prepared> | undefined;
  /** The registry key this instance holds, set when it loads. */
  #key: string | undefined;
  /**
   * Calls between admission and the end of their work, by the load they use (a generation ends at each `dispose`):
   * `dispose` waits for its own generation's calls only, so calls made after it cannot postpone it forever.
   */
  #generation = 0;
  readonly #activeCalls = new Map<number, { calls: number; idle: (() => void)[] }>();

  constructor(args: ModelLifecycleArgs<Loaded, Prepared>) {
    this.#args = args;
  }

  /** The prepared model, loading it on first use (a failed load is not cached: the next call tries again). */
  acquire(): Promise<Prepared> {
    if (this.#prepared === undefined) {
      const attempt = this.#loadAndPrepare();
      this.#prepared = attempt;
      attempt.catch(() => {
        if (this.#prepared === attempt) this.#prepared = undefined;
      });
    }
    return this.#prepared;
  }

  /**
   * Runs `work` on the prepared model: `admit` (load shedding) first, so an overloaded call fails before any work;
   * then the model, waited for abortably; the call counts against its generation until `work` settles.
   */
  async use<T>(signal: AbortSignal | undefined, work: (prepared: Prepared) => Promise<T>, admit?: Admission): Promise<T> {
    const releaseAdmission = admit?.();
    // `acquire()` below runs in this same tick, so the call uses this generation's load.
    const generation = this.#generation;
    const active = this.#activeCalls.get(generation) ?? { calls: 0, idle: [] };
    this.#activeCalls.set(generation, active);
    active.calls += 1;
    try {
      const prepared = await abortable(this.acquire(), signal);
      signal?.throwIfAborted();
      return await work(prepared);
    } finally {
      releaseAdmission?.();
      active.calls -= 1;
      if (active.calls === 0) {
        this.#activeCalls.delete(generation);
        for (const resolve of active.idle.splice(0)) resolve();
      }
    }
  }

  /**
   * Releases this instance's hold once its calls in flight have finished (they complete: freeing the session under
   * them would fail them); the last holder frees the model. A later call loads it again.
   */
  async dispose(): Promise<void> {
    const prepared = this.#prepared;
    if (prepared === undefined) return;
    this.#prepared = undefined;
    const generation = this.#generation++;
    try {
      await prepared;
    } catch {
      return; // a failed load holds nothing
    }
    const active = this.#activeCalls.get(generation);
    if (active !== undefined) await new Promise<void>((resolve) => active.idle.push(resolve));
    if (this.#key !== undefined) await releaseModel(this.#key);
  }

  async #loadAndPrepare(): Promise<Prepared> {
    const { key, load, free, prepare } = this.#args;
    const registryKey = await key();
    this.#key = registryKey;
    const loaded = await acquireModel(registryKey, load, free);
    try {
      return prepare(loaded);
    } catch (error) {
      await releaseModel(registryKey);
      throw error;
    }
  }
}
