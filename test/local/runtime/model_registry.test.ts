import { describe, expect, it } from "vitest";
import { acquireModel, modelUsers, releaseModel } from "../../../src/local/runtime/model_registry.js";

describe("model registry", () => {
  it("shares one load between concurrent users and frees it when the last one releases", async () => {
    let loads = 0;
    const disposed: string[] = [];
    const load = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return "model";
    };
    const dispose = async (value: string) => void disposed.push(value);
    const [a, b] = await Promise.all([acquireModel("k1", load, dispose), acquireModel("k1", load, dispose)]);
    expect([a, b, loads, modelUsers("k1")]).toEqual(["model", "model", 1, 2]);
    await releaseModel("k1");
    expect(disposed).toEqual([]);
    await releaseModel("k1");
    expect(disposed).toEqual(["model"]);
    expect(modelUsers("k1")).toBe(0);
    await acquireModel("k1", load, dispose);
    expect(loads).toBe(2); // loaded again after being freed
    await releaseModel("k1");
  });

  it("forgets a failed load so the next caller retries", async () => {
    let attempts = 0;
    const flaky = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("network down");
      return attempts;
    };
    await expect(acquireModel("k2", flaky, async () => {})).rejects.toThrow("network down");
    await Promise.resolve();
    expect(modelUsers("k2")).toBe(0);
    await expect(acquireModel("k2", flaky, async () => {})).resolves.toBe(2);
    await releaseModel("k2");
  });
});
