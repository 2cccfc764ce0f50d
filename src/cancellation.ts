// Cancellation: combining the instance's and the call's AbortSignal, and ending a wait when a signal aborts.
// At the bottom layer, beside errors.ts, so remote/, scorers/ and compressors/ share one home for it.

/** Aborts when either signal does (the instance's and the call's); either may be absent. */
export function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  return a && b ? AbortSignal.any([a, b]) : (a ?? b);
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it aborts, without waiting for the work
 * behind the promise (which must itself skip or stop when it sees the aborted signal).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {}); // abandoned: its own late rejection (often the same abort) is not an unhandled one
    signal.throwIfAborted();
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new DOMException("This operation was aborted", "AbortError"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
