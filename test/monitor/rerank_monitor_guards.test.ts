import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { Document } from "@langchain/core/documents";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CrossEncoderReranker } from "../../src/index.js";
import { RerankMonitor } from "../../src/monitor.js";
import { RETURNED_DOCUMENTS_EVENT } from "../../src/compressors/tracing.js";
import { DESIGNED, ListRetriever, tableScorer } from "./support.js";

/** An object every property read of which throws, as a hostile getter or a revoked Proxy does. */
const throwing = (): never =>
  new Proxy(
    {},
    {
      get() {
        throw new Error("getter failed");
      },
    },
  ) as never;
/** A document whose metadata getter for `key` throws. */
const documentThrowingOn = (key: string, text = "d1") => {
  const metadata = {};
  Object.defineProperty(metadata, key, {
    enumerable: true,
    get: () => {
      throw new Error("metadata getter failed");
    },
  });
  return new Document({ pageContent: text, metadata });
};
const compressorId = ["langchain_rerank", "compressors", "cross_encoder_reranker", "CrossEncoderReranker"];

afterEach(() => vi.restoreAllMocks());

describe("RerankMonitor handlers never throw", () => {
  it("a serialized id that is not an array (42, a string, null) is read as a plain run, not a throw", () => {
    const monitor = new RerankMonitor();
    for (const [i, id] of [42, "langchain_rerank", null, { 0: "langchain_rerank" }].entries()) {
      expect(() => monitor.handleChainStart({ id } as never, {}, `c${i}`)).not.toThrow();
      expect(() => monitor.handleRetrieverStart({ id } as never, "q", `r${i}`)).not.toThrow();
      expect(() => monitor.handleChainEnd({}, `c${i}`)).not.toThrow();
      expect(() => monitor.handleRetrieverEnd([], `r${i}`)).not.toThrow();
    }
    expect(monitor.summary()).toMatchObject({ queries: 0, skipped: 4, unreadable: 0 });
    expect(monitor.openRuns).toBe(0);
  });

  it("document metadata whose getter throws: the query is counted as unreadable, not lost in a thrown error", async () => {
    const monitor = new RerankMonitor();
    const warn = vi.spyOn(console, "warn");
    const error = vi.spyOn(console, "error");
    class Hostile extends ListRetriever {
      override async _getRelevantDocuments(): Promise<Document[]> {
        return [documentThrowingOn("retrievalRank")];
      }
    }
    await new Hostile({}).invoke("q", { callbacks: [monitor] });
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    expect(monitor.summary()).toMatchObject({ queries: 0, unreadable: 1 });
    expect(monitor.toString()).toContain("1 unreadable");
    // The monitor goes on: the next query is counted as usual.
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: new ListRetriever(DESIGNED.lists),
      baseCompressor: new CrossEncoderReranker({ model: tableScorer(DESIGNED.table), topN: 3 }),
    });
    await retriever.invoke("A", { callbacks: [monitor] });
    expect(monitor.summary()).toMatchObject({ queries: 1, unreadable: 1 });
  });

  it("a compressor's traced documents, inputs or outputs that throw when read: its query is counted once as unreadable", () => {
    const cases: [string, (m: RerankMonitor) => void][] = [
      ["event data", (m) => m.handleCustomEvent(RETURNED_DOCUMENTS_EVENT, throwing(), "root")],
      ["event documents", (m) => m.handleCustomEvent(RETURNED_DOCUMENTS_EVENT, { documents: [documentThrowingOn("relevanceScore")] }, "root")],
      ["a document", (m) => m.handleCustomEvent(RETURNED_DOCUMENTS_EVENT, { documents: [throwing()] }, "root")],
    ];
    for (const [what, hostile] of cases) {
      const monitor = new RerankMonitor();
      monitor.handleChainStart({ id: compressorId } as never, { documents: 2 }, "root");
      monitor.handleChainStart({ id: compressorId } as never, { documents: 2 }, "inner", "root");
      expect(() => hostile(monitor), what).not.toThrow();
      expect(() => monitor.handleChainEnd({}, "inner")).not.toThrow();
      expect(() => monitor.handleChainEnd({ kept: 1 }, "root")).not.toThrow();
      expect(monitor.summary(), what).toMatchObject({ queries: 0, skipped: 0, unreadable: 1 });
    }
    const monitor = new RerankMonitor();
    monitor.handleChainStart({ id: compressorId } as never, throwing(), "root");
    monitor.handleCustomEvent(
      RETURNED_DOCUMENTS_EVENT,
      { documents: [new Document({ pageContent: "d", metadata: { retrievalRank: 1, relevanceScore: 1 } })] },
      "root",
    );
    expect(() => monitor.handleChainEnd(throwing(), "root")).not.toThrow();
    expect(monitor.summary()).toMatchObject({ queries: 0, unreadable: 1 });
  });

  it("a serialized object or arguments that throw when read, at start or end: counted, never thrown", () => {
    const monitor = new RerankMonitor();
    expect(() => monitor.handleChainStart(throwing(), {}, "a")).not.toThrow();
    expect(() => monitor.handleChainEnd({}, "a")).not.toThrow();
    expect(() => monitor.handleRetrieverStart(throwing(), "q", "b")).not.toThrow();
    expect(() => monitor.handleRetrieverEnd(throwing(), "b")).not.toThrow();
    expect(() => monitor.handleChainEnd(throwing(), "never-started")).not.toThrow();
    expect(() => monitor.handleRetrieverEnd(undefined as never, "c")).not.toThrow();
    expect(() => monitor.handleChainError(throwing(), "a")).not.toThrow();
    expect(monitor.summary().unreadable).toBe(3);
    expect(monitor.openRuns).toBe(0);
  });
});
