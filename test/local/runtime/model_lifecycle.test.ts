import { describe, expect, it } from "vitest";
import { ModelLifecycle } from "../../../src/local/runtime/model_lifecycle.js";
import { modelUsers } from "../../../src/local/runtime/model_registry.js";

// The lifecycle is parameterised by what it loads; here it loads a plain object, through the real model registry.
let keys = 0;
function lifecycle(key: string, log: string[], options: { failLoads?: number; prepare?: (n: number) => number } = {}) {
  let failures = options.failLoads ?? 0;
  return new ModelLifecycle<{ id: number }, number>({
    key: async () => key,
    load: async () => {
      log.push("load");
      if (failures-- > 0) throw new Error("load failed");
      return { id: 7 };
    },
    free: async () => {
      log.push("free");
    },
    prepare: (loaded) => (options.prepare ?? ((n) => n))(loaded.id),
  });
}

describe("ModelLifecycle", () => {
  it("loads once per key for every instance, and frees on the last dispose", async () => {
    const key = `lifecycle-${keys++}`;
    const log: string[] = [];
    const a = lifecycle(key, log);
    const b = lifecycle(key, log);
    expect(await Promise.all([a.acquire(), b.acquire(), a.acquire()])).toEqual([7, 7, 7]);
    expect(log).toEqual(["load"]);
    expect(modelUsers(key)).toBe(2);
    await a.dispose();
    expect(log).toEqual(["load"]);
    await b.dispose();
    expect(log).toEqual(["load", "free"]);
    expect(modelUsers(key)).toBe(0);
  });

  it("does not cache a failed load: the next call retries", async () => {
    const log: string[] = [];
    const model = lifecycle(`lifecycle-${keys++}`, log, { failLoads: 1 });
    await expect(model.acquire()).rejects.toThrow("load failed");
    await expect(model.acquire()).resolves.toBe(7);
    expect(log).toEqual(["load", "load"]);
    await model.dispose();
  });

  it("dispose waits for its own calls in flight, not for calls made after it", async () => {
    const key = `lifecycle-${keys++}`;
    const log: string[] = [];
    const model = lifecycle(key, log);
    let finish!: () => void;
    const running = model.use(undefined, (n) => new Promise<number>((resolve) => (finish = () => resolve(n))));
    await model.acquire();
    await Promise.resolve();
    const disposed = model.dispose().then(() => log.push("disposed"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log).toEqual(["load"]); // the call holds the model
    finish();
    expect(await running).toBe(7);
    await disposed;
    expect(log).toEqual(["load", "free", "disposed"]);
  });

  it("runs the admission first, releases it however the call ends, and honours an aborted signal", async () => {
    const model = lifecycle(`lifecycle-${keys++}`, []);
    const events: string[] = [];
    const admit = () => {
      events.push("admit");
      return () => events.push("release");
    };
    await expect(model.use(undefined, async () => Promise.reject(new Error("work failed")), admit)).rejects.toThrow("work failed");
    expect(events).toEqual(["admit", "release"]);
    const refused = () => {
      throw new Error("overloaded");
    };
    await expect(model.use(undefined, async () => 1, refused)).rejects.toThrow("overloaded");
    const aborted = AbortSignal.abort(new Error("stop"));
    await expect(model.use(aborted, async () => 1, admit)).rejects.toThrow("stop");
    expect(events).toEqual(["admit", "release", "admit", "release"]);
    await model.dispose();
  });

  it("a prepare that throws gives the hold back", async () => {
    const key = `lifecycle-${keys++}`;
    const log: string[] = [];
    const model = lifecycle(key, log, {
      prepare: () => {
        throw new Error("bad option for this model");
      },
    });
    await expect(model.acquire()).rejects.toThrow("bad option for this model");
    expect(modelUsers(key)).toBe(0);
    expect(log).toEqual(["load", "free"]);
  });
});
