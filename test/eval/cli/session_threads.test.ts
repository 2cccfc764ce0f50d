import { describe, expect, it } from "vitest";
import { sessionOptionsFromFlags, threadSessionOptions } from "../../../src/eval/cli/session_threads.js";
import { InvalidOptionError } from "../../../src/index.js";

describe("threadSessionOptions", () => {
  it("N intra-op threads that do not spin-wait, one inter-op thread", () => {
    expect(threadSessionOptions(1)).toEqual({
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
    expect(threadSessionOptions(3).intraOpNumThreads).toBe(3);
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses %s", (n) => {
    expect(() => threadSessionOptions(n)).toThrow(InvalidOptionError);
  });
});

describe("sessionOptionsFromFlags (rerank-eval --threads, --session-options)", () => {
  it("neither: onnxruntime's defaults; --threads: the benchmarks' settings; --session-options: the object as given", () => {
    expect(sessionOptionsFromFlags(undefined, undefined)).toBeUndefined();
    expect(sessionOptionsFromFlags("2", undefined)).toEqual(threadSessionOptions(2));
    expect(sessionOptionsFromFlags(undefined, '{"intraOpNumThreads":2,"graphOptimizationLevel":"all"}')).toEqual({
      intraOpNumThreads: 2,
      graphOptimizationLevel: "all",
    });
  });

  it.each([
    [["0", undefined], '--threads must be a positive integer, got "0".'],
    [["two", undefined], '--threads must be a positive integer, got "two".'],
    [["", undefined], '--threads must be a positive integer, got "".'],
    [["1", "{}"], "--threads and --session-options go separately"],
    [[undefined, "[1]"], `--session-options must be a JSON object of onnxruntime session options such as '{"intraOpNumThreads":1}', got "[1]".`],
    [[undefined, "null"], "--session-options must be a JSON object"],
    [
      [undefined, "{intraOpNumThreads:1}"],
      "--session-options must be a JSON object of onnxruntime session options such as '{\"intraOpNumThreads\":1}': ",
    ],
  ] as const)("%j: %s", ([threads, json], message) => {
    expect(() => sessionOptionsFromFlags(threads, json)).toThrow(InvalidOptionError);
    expect(() => sessionOptionsFromFlags(threads, json)).toThrow(message);
  });
});
