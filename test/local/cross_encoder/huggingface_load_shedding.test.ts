import { describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder, OverloadedError } from "../../../src/huggingface.js";
import { InvalidOptionError, OverloadedError as RootOverloadedError, RerankError } from "../../../src/index.js";
import { DEFAULT_MAX_QUEUED_PAIRS } from "../../../src/local/runtime/load_shedding.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";
import { samplePairs } from "../../support/pairs.js";

// Load shedding: a bound on the pairs a local scorer holds, so a burst is refused at once instead of growing the
// queue (and everyone's latency) without limit. One pair per forward pass keeps a long call queued for a while.

const long = samplePairs(300, 11);
const few = samplePairs(8, 3);
const settled = <T>(promise: Promise<T>) => {
  const state = { done: false };
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
};

describe("HuggingFaceCrossEncoder maxQueuedPairs", () => {
  it("rejects a call over the bound at once with OverloadedError, and the call already running is unaffected", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", batchSize: 1, maxQueuedPairs: 305 });
    const reference = await new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", batchSize: 1, maxQueuedPairs: Infinity }).score(
      long,
    );
    const running = scorer.score(long);
    const runningState = settled(running);
    expect(scorer.queuedPairs).toBe(300);

    const error = await scorer.score(few).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toBeInstanceOf(RootOverloadedError);
    expect(error).toBeInstanceOf(RerankError);
    expect(error).toMatchObject({ queuedPairs: 300, requestedPairs: 8, maxQueuedPairs: 305 });
    expect(String(error)).toMatch(
      /HuggingFaceCrossEncoder is overloaded: 300 pairs are waiting .* this call adds 8, over maxQueuedPairs \(305\)\. Retry later/,
    );
    expect(runningState.done).toBe(false); // rejected while the long call was still being scored

    // A call that fits is admitted beside it.
    const fits = scorer.score(few.slice(0, 5));
    expect(scorer.queuedPairs).toBe(305);
    await expect(running).resolves.toEqual(reference);
    await expect(fits).resolves.toHaveLength(5);
    expect(scorer.queuedPairs).toBe(0);
    await expect(scorer.score(few)).resolves.toHaveLength(8);
  });

  it("an aborted call gives its pairs back at once, without waiting for the passes queued ahead of it", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", batchSize: 1, maxQueuedPairs: 50 });
    await scorer.load();
    // 40 one-pair calls queue 40 passes; the call to abort queues its first pass behind them.
    const ahead = long.slice(0, 40).map((pair) => scorer.score([pair]));
    const aheadStates = ahead.map(settled);
    const controller = new AbortController();
    const waiting = scorer.score(few, { signal: controller.signal });
    expect(scorer.queuedPairs).toBe(48);
    await expect(scorer.score(few)).rejects.toThrow(OverloadedError);
    await new Promise((resolve) => setImmediate(resolve)); // a pass or two run; the call is now in the model's queue
    controller.abort(new Error("client went away"));
    await expect(waiting).rejects.toThrow("client went away");
    expect(aheadStates.filter((state) => state.done).length).toBeLessThan(40); // it did not wait for its turn
    expect(scorer.queuedPairs).toBe(40 - aheadStates.filter((state) => state.done).length);
    const next = scorer.score(few); // the slot is usable again
    await expect(Promise.all(ahead)).resolves.toHaveLength(40);
    await expect(next).resolves.toHaveLength(8);
    expect(scorer.queuedPairs).toBe(0);
  });

  it("a call larger than the bound runs when nothing else waits; failures and aborted calls never leak pairs", async () => {
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", maxQueuedPairs: 10 });
    await expect(scorer.score(long.slice(0, 50))).resolves.toHaveLength(50);
    await expect(scorer.score(few, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    const broken = new HuggingFaceCrossEncoder({ model: "/no/such/model", maxQueuedPairs: 10 });
    await expect(broken.score(few)).rejects.toThrow(RerankError);
    expect([scorer.queuedPairs, broken.queuedPairs]).toEqual([0, 0]);
  });

  it("defaults to 10,000 pairs; takes a positive integer or Infinity", () => {
    expect(new HuggingFaceCrossEncoder().maxQueuedPairs).toBe(DEFAULT_MAX_QUEUED_PAIRS);
    expect(DEFAULT_MAX_QUEUED_PAIRS).toBe(10_000);
    expect(new HuggingFaceCrossEncoder({ maxQueuedPairs: Infinity }).maxQueuedPairs).toBe(Infinity);
    for (const bad of [0, -1, 2.5, Number.NaN, "100"]) {
      expect(() => new HuggingFaceCrossEncoder({ maxQueuedPairs: bad as never })).toThrow(InvalidOptionError);
    }
    expect(() => new HuggingFaceCrossEncoder({ maxQueuedPairs: 0 })).toThrow(
      /`maxQueuedPairs` must be a positive integer or Infinity, got the number 0/,
    );
  });
});
