import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { LLMListwiseReranker, MAX_REPORTED_IDS } from "../../src/compressors/llm_listwise_reranker.js";
import { InvalidOptionError } from "../../src/errors.js";

// LLMListwiseReranker against hostile chat models (unserializable or runaway answers, models that hang and ignore
// the signal) and input that is not what the types say.

/** A chat model whose structured runnable answers `answer(...)` verbatim. */
const model = (answer: () => unknown) => ({ withStructuredOutput: () => ({ invoke: async () => answer() }) });
const docs = (n: number) => Array.from({ length: n }, (_, i) => new Document({ pageContent: `doc ${i}`, metadata: { i } }));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as Error }),
  );

describe("LLMListwiseReranker against hostile answers", () => {
  it.each([
    ["BigInt ids", { ranked_document_ids: [1n, 0n] }],
    ["a bare BigInt list", [2n]],
    [
      "a circular object",
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
    ],
    // Not a thenable (a `then` that throws would reject the model call itself, which is thrown as the model's error).
    [
      "a proxy whose traps throw",
      new Proxy(
        {},
        {
          get: (_, key) => {
            if (key === "then") return undefined;
            throw new Error("trap");
          },
          has() {
            throw new Error("trap");
          },
        },
      ),
    ],
  ])("%s: the window keeps its order and the report says why, instead of a raw TypeError", async (_, answer) => {
    const ranking = await new LLMListwiseReranker({ llm: model(() => answer) as never }).rank(docs(3), "q");
    expect(ranking.order).toEqual([0, 1, 2]);
    expect(ranking.windows[0]).toMatchObject({ outcome: "fallback", attempts: 2 });
    expect(ranking.windows[0]!.errors).toHaveLength(2);
  });

  it("a runaway id list is used, but the report keeps at most MAX_REPORTED_IDS invalid and repeated entries", async () => {
    const ids = Array.from({ length: 200_000 }, (_, i) => (i % 7 === 6 ? "x".repeat(10_000) : 2 - (i % 3)));
    const ranking = await new LLMListwiseReranker({ llm: model(() => ({ ranked_document_ids: ids })) as never }).rank(docs(3), "q");
    expect(ranking.order).toEqual([2, 1, 0]);
    const [window] = ranking.windows;
    expect(window!.invalidIds.length).toBe(MAX_REPORTED_IDS);
    expect(window!.duplicateIds.length).toBe(MAX_REPORTED_IDS);
    expect(JSON.stringify(window).length).toBeLessThan(20_000);
  });

  it("a model that hangs and ignores the signal still rejects on abort", async () => {
    const controller = new AbortController();
    const reranker = new LLMListwiseReranker({ llm: model(() => new Promise(() => undefined)) as never, signal: controller.signal });
    const pending = failure(reranker.compressDocuments(docs(3), "q"));
    setTimeout(() => controller.abort(new Error("user left")), 20);
    expect((await pending).error!.message).toBe("user left");
    const perCall = new AbortController();
    const pending2 = failure(
      new LLMListwiseReranker({ llm: model(() => new Promise(() => undefined)) as never }).rank(docs(3), "q", { signal: perCall.signal }),
    );
    setTimeout(() => perCall.abort(new Error("call abort")), 20);
    expect((await pending2).error!.message).toBe("call abort");
  });
});

describe("LLMListwiseReranker input that is not what the types say", () => {
  const reranker = () => new LLMListwiseReranker({ llm: model(() => ({ ranked_document_ids: [1, 0] })) as never });

  it("a non-string query is reported as such (InvalidOptionError), not as 'empty'", async () => {
    for (const query of [5, null, ["q"]]) {
      const { error } = await failure(reranker().compressDocuments(docs(2), query as never));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error!.message).toMatch(/the query must be a string, got (the number 5|null|an array)/);
    }
    expect((await failure(reranker().compressDocuments(docs(2), " "))).error).toBeInstanceOf(InvalidOptionError);
  });

  it("null, string and missing documents are InvalidOptionErrors naming the position; rank() never returns undefined indices", async () => {
    const cases: [unknown[], RegExp][] = [
      [[null, ...docs(1)], /document 0 is null/],
      [["a", "b"], /document 0 is the string "a", not a Document/],
      // eslint-disable-next-line no-sparse-arrays
      [[, ...docs(2)], /document 0 is a hole \(sparse array\)/],
    ];
    for (const [documents, message] of cases) {
      for (const call of [() => reranker().compressDocuments(documents as never, "q"), () => reranker().rank(documents as never, "q")]) {
        const { value, error } = await failure(call());
        expect(value).toBeUndefined();
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect(error!.message).toMatch(message);
      }
    }
  });

  it("a non-string pageContent is named as such, not blamed on documentText", async () => {
    const reranker = new LLMListwiseReranker({ llm: model(() => [0]) as never });
    await expect(reranker.compressDocuments([docs(1)[0]!, { pageContent: 7, metadata: {} } as never], "q")).rejects.toThrow(
      /document 1 has no string pageContent \(got the number 7\)/,
    );
  });

  it("compressDocuments takes a per-call signal as its fourth argument (FallbackReranker's timeout) and passes it to the model", async () => {
    let seen: AbortSignal | undefined;
    const hanging = {
      withStructuredOutput: () => ({
        invoke: (_input: unknown, config?: { signal?: AbortSignal }) => ((seen = config?.signal), new Promise(() => {})),
      }),
    };
    const instanceWide = new AbortController();
    const reranker = new LLMListwiseReranker({ llm: hanging as never, signal: instanceWide.signal });
    const controller = new AbortController();
    const pending = failure(
      (reranker.compressDocuments as (...args: unknown[]) => Promise<unknown>).call(reranker, docs(3), "q", undefined, {
        signal: controller.signal,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error("timed out"));
    expect((await pending).error?.message).toBe("timed out");
    expect(seen?.aborted).toBe(true);
    expect(instanceWide.signal.aborted).toBe(false);
  });

  it("rank() with null options is an InvalidOptionError, not a TypeError", async () => {
    await expect(reranker().rank(docs(2), "q", null as never)).rejects.toThrow(InvalidOptionError);
  });

  it("rankKey equal to listwiseRankKey is refused (one would overwrite the other)", () => {
    expect(() => new LLMListwiseReranker({ llm: model(() => []) as never, rankKey: "k", listwiseRankKey: "k" })).toThrow(/both "k"/);
  });
});
