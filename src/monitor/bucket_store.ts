/**
 * One sign's buckets of a QuantileSketch: a count per integer key, at most `maxBuckets` keys. Past that, the lowest
 * key merges into the next lowest (the smallest magnitudes lose accuracy first). A min-heap of the keys finds the
 * lowest, so an add costs O(1) for a key in use and O(log maxBuckets) for a new one, however far apart the values are:
 * sorting the keys on every merge made values spanning 1e-9 to 1e300 cost thousands of times an ordinary add.
 */
export class BucketStore {
  readonly #counts = new Map<number, number>();
  readonly #heap: number[] = [];

  constructor(readonly maxBuckets: number) {}

  get size(): number {
    return this.#counts.size;
  }

  add(key: number): void {
    const count = this.#counts.get(key);
    if (count !== undefined) {
      this.#counts.set(key, count + 1);
      return;
    }
    const lowest = this.#heap[0];
    // A full store would add this key and merge it straight into the lowest one: count it there at once.
    if (this.#counts.size >= this.maxBuckets && lowest !== undefined && key < lowest) {
      this.#counts.set(lowest, this.#counts.get(lowest)! + 1);
      return;
    }
    this.#counts.set(key, 1);
    this.#push(key);
    if (this.#counts.size > this.maxBuckets) {
      const merged = this.#pop();
      const next = this.#heap[0]!;
      this.#counts.set(next, this.#counts.get(next)! + this.#counts.get(merged)!);
      this.#counts.delete(merged);
    }
  }

  /** The keys with their counts, lowest key first (for quantile queries, not for adds). */
  ascending(): [number, number][] {
    return [...this.#counts.entries()].sort((a, b) => a[0] - b[0]);
  }

  clear(): void {
    this.#counts.clear();
    this.#heap.length = 0;
  }

  #push(key: number): void {
    const heap = this.#heap;
    let i = heap.push(key) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= key) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = key;
  }

  #pop(): number {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1]! < heap[left]! ? left + 1 : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
