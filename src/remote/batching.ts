/**
 * Half-open index ranges `[start, end)` of at most `size` items covering `0..count`. Not @langchain/core's
 * `chunkArray`: results from each request are merged back by their offset in the whole list, which ranges keep.
 */
export function batchRanges(count: number, size: number): Array<{ start: number; end: number }> {
  const ranges: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < count; start += size) ranges.push({ start, end: Math.min(count, start + size) });
  return ranges;
}

/**
 * Runs `work` on every item with at most `limit` in flight, results in input order. The first failure aborts the
 * others (through the signal each one gets) and is what the returned promise rejects with: a partial answer is
 * never returned, so no document is dropped silently. (AsyncCaller's maxConcurrency does not abort the siblings of a
 * failed request, which would leave them running after the call has failed.)
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  signal?.throwIfAborted();
  const stop = new AbortController();
  const linked = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && firstError === undefined) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, linked);
      } catch (error) {
        if (firstError === undefined) {
          firstError = { error };
          stop.abort(new DOMException("A sibling request failed", "AbortError"));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError !== undefined) {
    // The caller's own abort wins over the sibling failures it caused.
    signal?.throwIfAborted();
    throw firstError.error;
  }
  return results;
}
