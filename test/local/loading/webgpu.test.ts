import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeviceUnavailableError } from "../../../src/errors.js";
import type { Transformers } from "../../../src/local/loading/load_spec.js";

// The browser's WebGPU checks (src/local/loading/webgpu.ts) against stand-ins for navigator.gpu and onnxruntime-web's
// device, so every branch runs in Node. test/browser/webgpu.test.ts runs the same cases in Chromium's real WebGPU.

type WebGpu = typeof import("../../../src/local/loading/webgpu.js");
let webgpu: WebGpu;

beforeEach(async () => {
  vi.resetModules(); // a fresh module: a lost device is remembered for the page's (here the module's) lifetime
  webgpu = await import("../../../src/local/loading/webgpu.js");
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const adapter = (features: string[]) => ({ features: new Set(features) });
const withGpu = (requestAdapter: () => Promise<unknown>) => vi.stubGlobal("navigator", { gpu: { requestAdapter } });

/** transformers.js's env as far as whenDeviceLost reads it: onnxruntime-web's device, whose `lost` we settle. */
function fakeTransformers(): { transformers: Transformers; lose(info: { reason?: string; message?: string }): void } {
  let lose!: (info: { reason?: string; message?: string }) => void;
  const lost = new Promise<{ reason?: string; message?: string }>((resolve) => (lose = resolve));
  const transformers = { env: { backends: { onnx: { webgpu: { device: Promise.resolve({ lost }) } } } } } as unknown as Transformers;
  return { transformers, lose };
}

describe("webGpuUnavailable", () => {
  it("says why not: no navigator.gpu, a null adapter, a rejected request, fp16 or q4f16 without shader-f16", async () => {
    vi.stubGlobal("navigator", {});
    expect(await webgpu.webGpuUnavailable("fp32")).toMatch(/navigator\.gpu is undefined.*secure context/);
    withGpu(async () => null);
    expect(await webgpu.webGpuUnavailable("fp32")).toMatch(/requestAdapter\(\) found no GPU adapter/);
    withGpu(() => Promise.reject(new Error("blocked")));
    expect(await webgpu.webGpuUnavailable("fp32")).toMatch(/requestAdapter\(\) found no GPU adapter/);
    withGpu(async () => adapter([]));
    expect(await webgpu.webGpuUnavailable("fp16")).toBe('the GPU adapter does not offer "shader-f16", which dtype "fp16" needs');
    expect(await webgpu.webGpuUnavailable("q4f16")).toContain('"q4f16" needs');
  });

  it("is undefined where WebGPU can run the dtype", async () => {
    withGpu(async () => adapter([]));
    expect(await webgpu.webGpuUnavailable("fp32")).toBeUndefined();
    expect(await webgpu.webGpuUnavailable("q8")).toBeUndefined();
    withGpu(async () => adapter(["shader-f16"]));
    expect(await webgpu.webGpuUnavailable("fp16")).toBeUndefined();
  });
});

describe("webGpuError", () => {
  it("is a DeviceUnavailableError with the reason and the fixes; half precision also names fp32/q8", () => {
    const error = webgpu.webGpuError("navigator.gpu.requestAdapter() found no GPU adapter", "fp32");
    expect(error).toBeInstanceOf(DeviceUnavailableError);
    expect(error.message).toBe(
      'device "webgpu" was asked for, but navigator.gpu.requestAdapter() found no GPU adapter. Use device "wasm", or "auto" to fall back ' +
        "to WASM by itself (the scorer's deviceFallbackReason then says why).",
    );
    expect(webgpu.webGpuError("no shader-f16", "fp16").message).toContain(
      'Use device "wasm" or weights WebGPU runs everywhere (dtype "fp32" or "q8")',
    );
  });
});

describe("whenDeviceLost, guardPass, pageLostError", () => {
  it("a pass finishes while the device lives; once it is lost, passes on WebGPU and WASM and every load fail at once", async () => {
    withGpu(async () => adapter([]));
    const { transformers, lose } = fakeTransformers();
    const never = new Promise<string>(() => {});
    expect(await webgpu.guardPass(transformers, false, Promise.resolve("wasm pass"))).toBe("wasm pass"); // WebGPU not used yet
    expect(await webgpu.guardPass(transformers, true, Promise.resolve("gpu pass"))).toBe("gpu pass");
    expect(webgpu.pageLostError()).toBeUndefined();
    const inFlight = webgpu.guardPass(transformers, true, never); // onnxruntime-web's pass, which never settles after a loss
    lose({ reason: "destroyed", message: "Device was destroyed." });
    const error = await inFlight.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceUnavailableError);
    expect((error as Error).message).toBe(
      "This page's WebGPU device was lost (destroyed: Device was destroyed.). onnxruntime-web makes no new device, and its WASM runs " +
        "wait on the lost one too, so no local model can run in this page any more: reload the page.",
    );
    await expect(webgpu.guardPass(transformers, false, never)).rejects.toThrow(DeviceUnavailableError);
    expect(webgpu.pageLostError()?.message).toContain("reload the page");
    expect(webgpu.whenDeviceLost(transformers)).toBe(webgpu.whenDeviceLost(transformers));
  });

  it("never settles where onnxruntime-web has no WebGPU device", async () => {
    const transformers = { env: { backends: { onnx: {} } } } as unknown as Transformers;
    expect(await Promise.race([webgpu.whenDeviceLost(transformers), Promise.resolve("pass done")])).toBe("pass done");
  });
});
