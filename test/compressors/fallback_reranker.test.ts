import { CohereRerank as LangChainCohereRerank } from "@langchain/cohere";
import { EmbeddingsFilter } from "@langchain/classic/retrievers/document_compressors/embeddings_filter";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { Embeddings } from "@langchain/core/embeddings";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { RunCollectorCallbackHandler } from "@langchain/core/tracers/run_collector";
import { CohereClient } from "cohere-ai";
import { describe, expect, it } from "vitest";
import { CohereRerank } from "../../src/compressors/cohere_rerank.js";
import { InvalidOptionError, RerankError } from "../../src/errors.js";
import {
  CrossEncoderReranker,
  FallbackReranker,
  LLMListwiseReranker,
  RelevanceThresholdFilter,
  RerankServerCrossEncoder,
  type CrossEncoder,
  type CrossEncoderCallOptions,
  type TextPair,
} from "../../src/index.js";
import { overlapScore, useFakeRerankServer } from "../support/fake_rerank_server.js";

const KEY = "fallback-secret-4411";
const fake = useFakeRerankServer({ apiKey: KEY });

const QUERY = "red apples";
const TEXTS = ["blue sky", "green apples", "red apples and red cherries", "apples", "nothing here"];
const docs = () => TEXTS.map((t, i) => new Document({ id: `d${i}`, pageContent: t, metadata: { source: i } }));
const byOverlap = (texts: readonly string[]) =>
  texts
    .map((t, i) => ({ t, s: overlapScore(QUERY, t), i }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map(({ t }) => t);

/** A scorer that counts its calls and scores by overlap; it can be told to fail or to hang until aborted. */
class CountingScorer implements CrossEncoder {
  calls = 0;
  abortedSignals = 0;
  mode: "ok" | "throw" | "hang" = "ok";
  async score(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<number[]> {
    this.calls += 1;
    if (this.mode === "throw") throw new Error("scorer exploded");
    if (this.mode === "hang") {
      await new Promise<void>((_, reject) =>
        options.signal?.addEventListener("abort", () => {
          this.abortedSignals += 1;
          reject(options.signal!.reason);
        }),
      );
    }
    return pairs.map(([q, t]) => overlapScore(q, t));
  }
}

/** A compressor that ignores any signal and answers after `ms` (as LangChain's own compressors do). */
class SlowCompressor extends BaseDocumentCompressor {
  constructor(private readonly ms: number) {
    super();
  }
  async compressDocuments(documents: DocumentInterface[]): Promise<DocumentInterface[]> {
    await new Promise((resolve) => setTimeout(resolve, this.ms).unref());
    return documents.slice().reverse();
  }
}

const local = (scorer: CrossEncoder = new CountingScorer()) => new CrossEncoderReranker({ model: scorer, topN: 5 });

describe("FallbackReranker", () => {
  it("moves on after a thrown error, says who served, and records the failure in its traced run", async () => {
    const broken = new CountingScorer();
    broken.mode = "throw";
    const healthy = new CountingScorer();
    const fallback = new FallbackReranker({
      rerankers: [
        { reranker: local(broken), name: "remote" },
        { reranker: local(healthy), name: "local" },
      ],
      topN: 3,
    });
    const collector = new RunCollectorCallbackHandler();
    const out = await fallback.compressDocuments(docs(), QUERY, [collector]);
    expect(out.map((d) => d.pageContent)).toEqual(byOverlap(TEXTS).slice(0, 3));
    expect(out.map((d) => d.metadata.rerankedBy)).toEqual(["local", "local", "local"]);
    expect([broken.calls, healthy.calls]).toEqual([1, 1]);
    const run = collector.tracedRuns[0]!;
    expect(run.name).toBe("FallbackReranker");
    expect(run.outputs!.servedBy).toBe("local");
    expect(run.outputs!.attempts.map((a: { reranker: string; outcome: string; reason?: string }) => [a.reranker, a.outcome, a.reason])).toEqual([
      ["remote", "error", "Error: scorer exploded"],
      ["local", "served", undefined],
    ]);
    expect(run.child_runs!.map((r) => [r.name, r.error !== undefined])).toEqual([
      ["CrossEncoderReranker", true],
      ["CrossEncoderReranker", false],
    ]);
  });

  it("a timeout aborts the reranker's signal (it stops) and the next one serves", async () => {
    const hanging = new CountingScorer();
    hanging.mode = "hang";
    const fallback = new FallbackReranker({ rerankers: [local(hanging), local()], timeout: 1_000, topN: 2 });
    expect(fallback.rerankers.map((r) => r.name)).toEqual(["CrossEncoderReranker#1", "CrossEncoderReranker#2"]);
    const collector = new RunCollectorCallbackHandler();
    const out = await fallback.compressDocuments(docs(), QUERY, [collector]);
    expect(hanging.abortedSignals).toBe(1);
    expect(out.map((d) => d.metadata.rerankedBy)).toEqual(["CrossEncoderReranker#2", "CrossEncoderReranker#2"]);
    const [first] = collector.tracedRuns[0]!.outputs!.attempts;
    expect(first).toMatchObject({
      reranker: "CrossEncoderReranker#1",
      outcome: "timeout",
      reason: "TimeoutError: CrossEncoderReranker#1 did not answer within 1000 ms",
    });
  });

  it("abandons a reranker that ignores the signal at the timeout", async () => {
    const fallback = new FallbackReranker({ rerankers: [new SlowCompressor(10_000), local()], timeout: 1_000, topN: 5 });
    const out = await fallback.compressDocuments(docs(), QUERY);
    expect(out[0]!.metadata.rerankedBy).toBe("CrossEncoderReranker");
  });

  it("a rerank server that hangs is cut off through the abort signal (the request is cancelled)", async () => {
    fake.fail({ kind: "slow", delayMs: 5_000 });
    const remote = new CrossEncoderReranker({
      model: new RerankServerCrossEncoder({ url: `${fake.url}/v2/rerank`, model: "rerank-v3.5", apiKey: KEY, maxRetries: 0 }),
      topN: 3,
    });
    const fallback = new FallbackReranker({
      rerankers: [
        { reranker: remote, name: "server" },
        { reranker: local(), name: "local" },
      ],
      timeout: 1_000,
    });
    const collector = new RunCollectorCallbackHandler();
    const out = await fallback.compressDocuments(docs(), QUERY, [collector]);
    expect(out.map((d) => d.metadata.rerankedBy)).toEqual(["local", "local", "local"]);
    expect(collector.tracedRuns[0]!.outputs!.attempts[0]).toMatchObject({ reranker: "server", outcome: "timeout" });
    expect(fake.requests).toHaveLength(1); // no retry after the abort
    expect(fake.requests[0]!.status).toBe(0); // never answered: the client gave up
  });

  it("when all fail: the first-stage order cut to topN, marked first-stage, and no error", async () => {
    const a = new CountingScorer();
    a.mode = "throw";
    const input = docs();
    const before = structuredClone(input.map((d) => d.metadata));
    const fallback = new FallbackReranker({ rerankers: [local(a), new SlowCompressor(10_000)], timeout: 500, topN: 2 });
    const collector = new RunCollectorCallbackHandler();
    const out = await fallback.compressDocuments(input, QUERY, [collector]);
    expect(out.map((d) => [d.pageContent, d.metadata.rerankedBy, d.metadata.retrievalRank, d.metadata.relevanceScore])).toEqual([
      [TEXTS[0], "first-stage", 1, undefined],
      [TEXTS[1], "first-stage", 2, undefined],
    ]);
    expect(collector.tracedRuns[0]!.outputs!.servedBy).toBe("first-stage");
    expect(collector.tracedRuns[0]!.outputs!.attempts.map((x: { outcome: string }) => x.outcome)).toEqual(["error", "timeout"]);
    expect(input.map((d) => d.metadata)).toEqual(before);
    for (const d of out) expect(input).not.toContain(d);
  });

  it("circuit breaker: opens after failureThreshold consecutive failures, skips during cooldown, then tries again", async () => {
    let clock = 1_000;
    const flaky = new CountingScorer();
    flaky.mode = "throw";
    const backup = new CountingScorer();
    const fallback = new FallbackReranker({
      rerankers: [
        { reranker: local(flaky), name: "flaky" },
        { reranker: local(backup), name: "backup" },
      ],
      failureThreshold: 2,
      cooldownMs: 5_000,
      now: () => clock,
    });
    await fallback.compressDocuments(docs(), QUERY);
    expect(fallback.circuit("flaky")).toEqual({ state: "closed", consecutiveFailures: 1 });
    await fallback.compressDocuments(docs(), QUERY);
    expect(fallback.circuit("flaky")).toEqual({ state: "open", consecutiveFailures: 2, openUntil: 6_000 });
    expect(flaky.calls).toBe(2);

    const collector = new RunCollectorCallbackHandler();
    clock = 5_999;
    const out = await fallback.compressDocuments(docs(), QUERY, [collector]);
    expect(flaky.calls).toBe(2); // skipped
    expect(out[0]!.metadata.rerankedBy).toBe("backup");
    expect(collector.tracedRuns[0]!.outputs!.attempts[0]).toEqual({
      reranker: "flaky",
      outcome: "skipped",
      reason: "circuit open for 1 ms more, after 2 consecutive failures",
      ms: 0,
    });

    clock = 6_000; // half-open: one try; a failure reopens at once
    expect(fallback.circuit(0).state).toBe("half-open");
    await fallback.compressDocuments(docs(), QUERY);
    expect(flaky.calls).toBe(3);
    expect(fallback.circuit("flaky")).toEqual({ state: "open", consecutiveFailures: 3, openUntil: 11_000 });

    clock = 11_000;
    flaky.mode = "ok";
    const served = await fallback.compressDocuments(docs(), QUERY);
    expect(served[0]!.metadata.rerankedBy).toBe("flaky");
    expect(fallback.circuit("flaky")).toEqual({ state: "closed", consecutiveFailures: 0 });
    expect(backup.calls).toBe(4);
  });

  it("throws for its own arguments and for the caller's abort, never for a reranker's failure", async () => {
    const fallback = new FallbackReranker({ rerankers: [local()] });
    await expect(fallback.compressDocuments("x" as never, QUERY)).rejects.toThrow(InvalidOptionError);
    await expect(fallback.compressDocuments(docs(), "  ")).rejects.toThrow(RerankError);
    const controller = new AbortController();
    const hanging = new CountingScorer();
    hanging.mode = "hang";
    const aborting = new FallbackReranker({ rerankers: [local(hanging), local()], signal: controller.signal, timeout: 10_000 });
    const pending = aborting.compressDocuments(docs(), QUERY);
    setTimeout(() => controller.abort(new Error("user left")), 20);
    await expect(pending).rejects.toThrow("user left");
    expect(await fallback.compressDocuments([], QUERY)).toEqual([]);
  });

  it("a caller's bad documents are an InvalidOptionError before any reranker runs: no reranker fails, no circuit opens", async () => {
    const scorer = new CountingScorer();
    const fallback = new FallbackReranker({ rerankers: [{ reranker: local(scorer), name: "only" }], failureThreshold: 1 });
    for (const bad of [[null], [{ pageContent: 7, metadata: {} }]]) {
      await expect(fallback.compressDocuments(bad as never, QUERY)).rejects.toThrow(InvalidOptionError);
    }
    // A metadata getter that throws: the caller's own error, thrown as is, not the reranker's failure.
    const throwing = {
      pageContent: "x",
      metadata: Object.defineProperty({}, "boom", {
        enumerable: true,
        get: () => {
          throw new Error("getter boom");
        },
      }),
    };
    await expect(fallback.compressDocuments([throwing] as never, QUERY)).rejects.toThrow("getter boom");
    expect(scorer.calls).toBe(0);
    expect(fallback.circuit("only")).toEqual({ state: "closed", consecutiveFailures: 0 });
  });

  it("half-open lets one call try the reranker: concurrent calls skip it while that trial runs", async () => {
    let clock = 0;
    let calls = 0;
    let release: () => void = () => {};
    class Gated extends BaseDocumentCompressor {
      async compressDocuments(documents: DocumentInterface[]): Promise<DocumentInterface[]> {
        calls += 1;
        if (clock < 1_000) throw new Error("down");
        await new Promise<void>((resolve) => (release = resolve));
        return documents;
      }
    }
    const fallback = new FallbackReranker({
      rerankers: [{ reranker: new Gated(), name: "gated" }, local()],
      failureThreshold: 1,
      cooldownMs: 1_000,
      now: () => clock,
    });
    await fallback.compressDocuments(docs(), QUERY);
    expect(fallback.circuit("gated").state).toBe("open");
    clock = 1_000;
    const trial = fallback.compressDocuments(docs(), QUERY);
    await new Promise((resolve) => setImmediate(resolve));
    const collector = new RunCollectorCallbackHandler();
    const others = await Promise.all([1, 2, 3].map(() => fallback.compressDocuments(docs(), QUERY, [collector])));
    expect(calls).toBe(2); // the failure that opened the circuit, then the one trial
    expect(others.map((out) => out[0]!.metadata.rerankedBy)).toEqual(["CrossEncoderReranker", "CrossEncoderReranker", "CrossEncoderReranker"]);
    expect(collector.tracedRuns[0]!.outputs!.attempts[0]).toEqual({
      reranker: "gated",
      outcome: "skipped",
      reason: "circuit half-open: another call is trying it",
      ms: 0,
    });
    release();
    expect((await trial)[0]!.metadata.rerankedBy).toBe("gated");
    expect(fallback.circuit("gated")).toEqual({ state: "closed", consecutiveFailures: 0 });
  });

  it("stops an inner RelevanceThresholdFilter's reranker and an LLMListwiseReranker at the timeout (they take the fourth argument)", async () => {
    // Each records the signal it was given; under load a timeout can fire before a call is made, so the check is
    // that every call made was aborted (the direct tests in their own files show each passes the signal on).
    const signals: AbortSignal[] = [];
    const hanging = {
      score: (_pairs: unknown, options?: { signal?: AbortSignal }) => (signals.push(options!.signal!), new Promise<number[]>(() => {})),
    };
    const filter = new RelevanceThresholdFilter({ reranker: new CrossEncoderReranker({ model: hanging }), threshold: 0 });
    const llm = {
      withStructuredOutput: () => ({
        invoke: (_input: unknown, config?: { signal?: AbortSignal }) => (signals.push(config!.signal!), new Promise(() => {})),
      }),
    };
    const listwise = new LLMListwiseReranker({ llm: llm as never });
    const fallback = new FallbackReranker({ rerankers: [filter, listwise, local()], timeout: 200 });
    const collector = new RunCollectorCallbackHandler();
    const out = await fallback.compressDocuments(docs(), QUERY, [collector]);
    expect(out[0]!.metadata.rerankedBy).toBe("CrossEncoderReranker");
    // An abandoned inner run may end after the FallbackReranker's run (and be collected as a root): find ours by name.
    const run = collector.tracedRuns.find((r) => r.name === "FallbackReranker");
    expect(run!.outputs!.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["timeout", "timeout", "served"]);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it("rejects bad options naming the option", () => {
    // Past 2^31 - 1 ms, setTimeout fires after 1 ms: every reranker would time out and the first stage always serve.
    expect(() => new FallbackReranker({ rerankers: [local()], timeout: 3_000_000_000 })).toThrow(/`timeout` must be at most 2147483647/);
    expect(() => new FallbackReranker({ rerankers: [local()], timeout: 2_147_483_647 })).not.toThrow();
    expect(() => new FallbackReranker({ rerankers: [local()], servedByKey: "retrievalRank" })).toThrow(
      /`servedByKey` and `rankKey` are both "retrievalRank"/,
    );
    expect(() => new FallbackReranker({ rerankers: [] })).toThrow(/`rerankers` must be a non-empty array/);
    expect(() => new FallbackReranker({ rerankers: [{} as never] })).toThrow(/rerankers\[0\] must be a document compressor/);
    expect(() => new FallbackReranker({ rerankers: [local()], timeout: 0 })).toThrow(/`timeout` must be a positive integer, got the number 0/);
    expect(
      () =>
        new FallbackReranker({
          rerankers: [
            { reranker: local(), name: "a" },
            { reranker: local(), name: "a" },
          ],
        }),
    ).toThrow(/two rerankers are named "a"/);
    expect(() => new FallbackReranker({ rerankers: [{ reranker: local(), name: "first-stage" }] })).toThrow(/reserved/);
  });
});

/** Bag-of-words embeddings over the query's terms: enough for LangChain's EmbeddingsFilter to rank by overlap. */
class WordEmbeddings extends Embeddings {
  constructor(private readonly fail = false) {
    super({});
  }
  private vector(text: string): number[] {
    const words = text.toLowerCase().split(/\W+/);
    return ["red", "apples", "sky", "green", "nothing"].map((w): number => (words.includes(w) ? 1 : 0)).concat([0.01]);
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (this.fail) throw new Error("embedding service down");
    return texts.map((t) => this.vector(t));
  }
  async embedQuery(text: string): Promise<number[]> {
    return this.vector(text);
  }
}

describe("FallbackReranker with other compressors", () => {
  it("LangChain's own EmbeddingsFilter: fails over from one, serves as another", async () => {
    const fallback = new FallbackReranker({
      rerankers: [
        new EmbeddingsFilter({ embeddings: new WordEmbeddings(true), k: 2 }),
        { reranker: new EmbeddingsFilter({ embeddings: new WordEmbeddings(), k: 2 }), name: "bow" },
      ],
    });
    const collector = new RunCollectorCallbackHandler();
    const out = await fallback.compressDocuments(docs(), QUERY, [collector]);
    expect(out.map((d) => [d.pageContent, d.metadata.rerankedBy])).toEqual([
      ["red apples and red cherries", "bow"],
      ["apples", "bow"],
    ]);
    expect(collector.tracedRuns[0]!.outputs!.attempts[0]).toMatchObject({
      reranker: "EmbeddingsFilter",
      outcome: "error",
      reason: "Error: embedding service down",
    });
  });

  it("@langchain/cohere's CohereRerank against the fake Cohere server: serves, and a failing one falls back; inputs untouched", async () => {
    const client = new CohereClient({ token: KEY, baseUrl: fake.url });
    const cohere = new LangChainCohereRerank({ client, model: "rerank-v3.5", topN: 3 });
    const fallback = new FallbackReranker({ rerankers: [cohere, local()], topN: 3 });
    const input = docs();
    const out = await fallback.compressDocuments(input, QUERY);
    expect(out.map((d) => [d.pageContent, d.metadata.rerankedBy])).toEqual(
      byOverlap(TEXTS)
        .slice(0, 3)
        .map((t) => [t, "CohereRerank"]),
    );
    expect(out.map((d) => d.metadata.relevanceScore)).toEqual(
      byOverlap(TEXTS)
        .slice(0, 3)
        .map((t) => overlapScore(QUERY, t)),
    );
    // @langchain/cohere writes the score into its input documents; FallbackReranker hands it copies.
    expect(input.every((d) => !("relevanceScore" in d.metadata))).toBe(true);
    expect(fake.requests[0]!.path).toBe("/v1/rerank");

    fake.fail({ status: 400, message: "invalid request: bad" });
    const second = await fallback.compressDocuments(docs(), QUERY);
    expect(second[0]!.metadata.rerankedBy).toBe("CrossEncoderReranker");
  });

  it("this package's CohereRerank against the fake server: a 401 falls back to the local reranker", async () => {
    const cohere = new CohereRerank({ apiKey: "wrong-key", baseUrl: fake.url, maxRetries: 0, topN: 3 });
    const collector = new RunCollectorCallbackHandler();
    const out = await new FallbackReranker({ rerankers: [cohere, local()] }).compressDocuments(docs(), QUERY, [collector]);
    expect(out[0]!.metadata.rerankedBy).toBe("CrossEncoderReranker");
    const attempt = collector.tracedRuns[0]!.outputs!.attempts[0];
    expect(attempt).toMatchObject({ reranker: "CohereRerank", outcome: "error" });
    expect(attempt.reason).toMatch(/401/);
    expect(attempt.reason).not.toContain("wrong-key");
    const ok = await new FallbackReranker({ rerankers: [new CohereRerank({ apiKey: KEY, baseUrl: fake.url, topN: 3 }), local()] }).compressDocuments(
      docs(),
      QUERY,
    );
    expect(ok.map((d) => [d.pageContent, d.metadata.rerankedBy])).toEqual(
      byOverlap(TEXTS)
        .slice(0, 3)
        .map((t) => [t, "CohereRerank"]),
    );
  });
});
