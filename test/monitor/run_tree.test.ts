import { describe, expect, it } from "vitest";
import { RunTree } from "../../src/monitor/run_tree.js";

describe("RunTree", () => {
  it("groups runs under the outermost retriever or compressor; plain chains pass ancestry through", () => {
    const tree = new RunTree();
    const chain = tree.start("c", "chain", "RunnableSequence", undefined);
    const root = tree.start("r", "retriever", "ContextualCompressionRetriever", "c");
    const first = tree.start("b", "retriever", "OkapiBm25Retriever", "r");
    const lambda = tree.start("l", "chain", "RunnableLambda", "r");
    const stage = tree.start("s", "compressor", "CrossEncoderReranker", "l");
    const inner = tree.start("i", "compressor", "CrossEncoderReranker", "s");
    expect(chain.root).toBeUndefined();
    expect(root.root).toBe(root);
    expect(root.query).toBeDefined();
    expect([first, stage, inner].map((run) => run.root)).toEqual([root, root, root]);
    expect([first.owner, lambda.owner, stage.owner, inner.owner]).toEqual([root, root, root, stage]);
  });

  it("is bounded: past maxOpenRuns the oldest open run is forgotten", () => {
    const tree = new RunTree(3);
    for (const id of ["a", "b", "c", "d", "e"]) tree.start(id, "retriever", "R", undefined);
    expect(tree.size).toBe(3);
    expect(tree.get("a")).toBeUndefined();
    expect(tree.end("e")?.id).toBe("e");
    expect(tree.size).toBe(2);
  });
});
