import { rerank } from "ai";
import { describe, expect, it } from "vitest";
import { crossEncoderReranking } from "../../src/ai_sdk.js";
import { providerCallOptions } from "../../src/ai_sdk/provider_options.js";
import { type CrossEncoder, type CrossEncoderCallOptions, InvalidOptionError, RerankServerCrossEncoder } from "../../src/index.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";

const fake = useFakeRerankServer();

describe("providerOptions['langchain-rerank']", () => {
  it("reach the scorer's call options, beside the signal from abortSignal", async () => {
    const seen: (CrossEncoderCallOptions & Record<string, unknown>)[] = [];
    const scorer: CrossEncoder = {
      score: async (pairs, options) => (seen.push(options as CrossEncoderCallOptions & Record<string, unknown>), pairs.map(() => 1)),
    };
    const controller = new AbortController();
    await rerank({
      model: crossEncoderReranking(scorer),
      documents: ["a"],
      query: "q",
      abortSignal: controller.signal,
      providerOptions: { "langchain-rerank": { tenant: "t1" }, cohere: { priority: 1 } },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ tenant: "t1" });
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal);
    controller.abort(new Error("later"));
    expect(seen[0]!.signal!.aborted).toBe(true); // the caller's signal, not a copy that never fires
    expect(Object.keys(seen[0]!)).not.toContain("priority"); // another provider's options stay theirs
  });

  it("timeout aborts a slow server call with a TimeoutError", async () => {
    fake.fail({ kind: "slow", delayMs: 30_000 });
    const scorer = new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, dialect: "tei", maxRetries: 0 });
    // 50 ms against a reply held for 30 s: the timeout wins by a margin no loaded machine closes.
    const options = { "langchain-rerank": { timeout: 50 } };
    const error = await rerank({ model: crossEncoderReranking(scorer), documents: ["a"], query: "q", providerOptions: options }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe("TimeoutError");
  });

  it("are checked: an object, no signal (use abortSignal), timeout a positive integer", () => {
    const check = (options: unknown) => () => providerCallOptions("Owner", "langchain-rerank", options);
    expect(check(undefined)()).toEqual({ timeout: undefined, callOptions: {} });
    expect(check({ other: {} })()).toEqual({ timeout: undefined, callOptions: {} });
    expect(check({ "langchain-rerank": { timeout: 5, x: 1 } })()).toEqual({ timeout: 5, callOptions: { x: 1 } });
    expect(check([])).toThrow(new InvalidOptionError("Owner: providerOptions must be an object, got an array."));
    expect(check({ "langchain-rerank": "fast" })).toThrow(/providerOptions\["langchain-rerank"\] must be an object such as \{ timeout: 5000 \}/);
    expect(check({ "langchain-rerank": { signal: {} } })).toThrow(/takes no signal; pass rerank\(\{ abortSignal \}\) instead/);
    expect(check({ "langchain-rerank": { timeout: 0 } })).toThrow(/timeout` must be a positive integer, got the number 0/);
  });
});
