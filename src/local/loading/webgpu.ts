import { DeviceUnavailableError } from "../../errors.js";
import type { RerankerDtype, Transformers } from "./load_spec.js";

// WebGPU in browsers (model_files.browser.ts uses it; the Node build never loads it). onnxruntime-web, given a
// device it cannot use, fails with messages that name no fix ("The device (webgpu) does not support fp16.", "no
// available backend found"); and when the GPU device is lost, its pending GPU reads never settle, so a pass in
// flight and every later one would wait forever, WASM ones included (onnxruntime-web's JSEP build runs both through
// one backend). Here each case becomes a reason: `device: "webgpu"` throws it as a `DeviceUnavailableError`, `"auto"`
// falls back to WASM and records it on the scorer; after a loss every load and pass in the page fails at once.

interface GpuAdapter {
  features: { has(feature: string): boolean };
}
interface GpuDevice {
  lost: Promise<{ reason?: string; message?: string }>;
}
interface NavigatorGpu {
  gpu?: { requestAdapter(): Promise<GpuAdapter | null> };
}

/** Dtypes whose kernels compute in half precision: WebGPU runs them only where the adapter offers `shader-f16`. */
const HALF_PRECISION: readonly RerankerDtype[] = ["fp16", "q4f16"];

/** Set when the page's WebGPU device is lost: onnxruntime-web keeps one device per page and never makes another. */
let lostReason: string | undefined;

/** Why WebGPU cannot run `dtype` in this page, or undefined when it can. */
export async function webGpuUnavailable(dtype: RerankerDtype): Promise<string | undefined> {
  const gpu = (globalThis as { navigator?: NavigatorGpu }).navigator?.gpu;
  if (gpu === undefined) {
    return "this browser has no WebGPU (navigator.gpu is undefined: WebGPU needs a browser that ships it and a secure context, https or localhost)";
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (adapter === null || adapter === undefined) {
    return "navigator.gpu.requestAdapter() found no GPU adapter (the GPU is disabled, blocklisted or absent, as in headless browsers)";
  }
  if (HALF_PRECISION.includes(dtype) && !adapter.features.has("shader-f16")) {
    return `the GPU adapter does not offer "shader-f16", which dtype "${dtype}" needs`;
  }
  return undefined;
}

/** The error for `device: "webgpu"` where `webGpuUnavailable` gave `reason`: the cause, then the fixes. */
export function webGpuError(reason: string, dtype: RerankerDtype): DeviceUnavailableError {
  const precision = HALF_PRECISION.includes(dtype) ? ' or weights WebGPU runs everywhere (dtype "fp32" or "q8")' : "";
  return new DeviceUnavailableError(
    `device "webgpu" was asked for, but ${reason}. Use device "wasm"${precision}, or "auto" to fall back to WASM by itself ` +
      "(the scorer's deviceFallbackReason then says why).",
  );
}

function lostError(): DeviceUnavailableError {
  return new DeviceUnavailableError(
    `This page's WebGPU device was lost (${lostReason}). onnxruntime-web makes no new device, and its WASM runs wait on the ` +
      "lost one too, so no local model can run in this page any more: reload the page.",
  );
}

/** After a loss: the error every load in this page gets at once (a load on any device would never finish). */
export function pageLostError(): DeviceUnavailableError | undefined {
  return lostReason === undefined ? undefined : lostError();
}

let deviceLost: Promise<never> | undefined;

/**
 * A promise that rejects with a `DeviceUnavailableError` once onnxruntime-web's GPU device is lost (it never
 * settles otherwise), for racing each pass against. Call it after a WebGPU session exists: before that, reading
 * onnxruntime-web's device would make one.
 */
export function whenDeviceLost(transformers: Transformers): Promise<never> {
  deviceLost ??= (async () => {
    const env = transformers.env.backends.onnx as { webgpu?: { device?: Promise<GpuDevice> } };
    const device = await env.webgpu?.device;
    if (device === undefined) return new Promise<never>(() => {});
    const info = await device.lost;
    lostReason = [info.reason, info.message].filter(Boolean).join(": ") || "no reason given";
    throw lostError();
  })();
  deviceLost.catch(() => undefined); // raced by each pass; no pass in flight is no unhandled rejection
  return deviceLost;
}

/**
 * A forward pass that rejects when the GPU device is lost instead of waiting forever: on WebGPU, raced against the
 * device's loss; on WASM, too once this page has used WebGPU (a pass started after a loss fails at once).
 */
export function guardPass<T>(transformers: Transformers, onWebGpu: boolean, pass: Promise<T>): Promise<T> {
  const lost = onWebGpu ? whenDeviceLost(transformers) : deviceLost;
  return lost === undefined ? pass : Promise.race([pass, lost]);
}
