import { describe, expect, it } from "vitest";
import { abortable, anySignal } from "../src/cancellation.js";

describe("abortable", () => {
  it("with a signal already aborted: rejects with its reason, and the abandoned promise's own rejection is not unhandled", async () => {
    const controller = new AbortController();
    controller.abort(new Error("caller left"));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      // The work was started before the check, as a compressor starts its reranker, and fails on the same abort.
      const work = Promise.reject(new Error("work aborted too"));
      await expect((async () => abortable(work, controller.signal))()).rejects.toThrow("caller left");
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it("settles with the promise when the signal does not abort, and rejects with the reason when it does", async () => {
    await expect(abortable(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    const controller = new AbortController();
    const pending = abortable(new Promise(() => {}), controller.signal);
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });
});

describe("anySignal", () => {
  it("is absent without signals, is the one signal given, and aborts with whichever of two aborts first", () => {
    expect(anySignal(undefined, undefined)).toBeUndefined();
    const only = new AbortController().signal;
    expect(anySignal(only, undefined)).toBe(only);
    expect(anySignal(undefined, only)).toBe(only);
    const instance = new AbortController();
    const call = new AbortController();
    const both = anySignal(instance.signal, call.signal)!;
    expect(both.aborted).toBe(false);
    call.abort(new Error("call"));
    expect(both.aborted).toBe(true);
    expect((both.reason as Error).message).toBe("call");
  });
});
