import { DeviceUnavailableError } from "../../errors.js";
import type { RerankerDevice, Transformers } from "./load_spec.js";
import { loadIdentityModel } from "./session_primer.js";

// Which devices work in this Node process (the browser's checks are in model_files.browser.ts). onnxruntime-node
// names a missing CUDA as "Failed to load library libonnxruntime_providers_cuda.so", and transformers.js refuses a
// device it does not list with "Unsupported device"; neither says what to do. Each device is proved once per
// process with a one-node session before the model loads, so "auto" can fall back and a failure is named.

/** The GPU devices onnxruntime-node ships for this platform, best first: "auto" tries them before the CPU. */
function gpuCandidates(): RerankerDevice[] {
  if (process.platform === "linux" && process.arch === "x64") return ["cuda"];
  if (process.platform === "win32") return ["dml"];
  return [];
}

// Per transformers.js module instance (the ESM and CJS builds are two) and device: undefined when it works, else why not.
const PROBES_KEY = Symbol.for("langchain-rerank.device-probes");
const globals = globalThis as { [PROBES_KEY]?: WeakMap<object, Map<string, Promise<string | undefined>>> };
const probes: WeakMap<object, Map<string, Promise<string | undefined>>> = (globals[PROBES_KEY] ??= new WeakMap());

function probe(transformers: Transformers, device: RerankerDevice): Promise<string | undefined> {
  let byDevice = probes.get(transformers);
  if (byDevice === undefined) probes.set(transformers, (byDevice = new Map()));
  let result = byDevice.get(device);
  if (result === undefined) {
    const session = () =>
      loadIdentityModel(transformers, device).then(
        () => undefined,
        (error: unknown) => firstLine((error as Error)?.message ?? String(error)),
      );
    result = device === "cuda" ? missingCudaProvider().then((reason) => reason ?? session()) : session();
    byDevice.set(device, result);
  }
  return result;
}

// A session asking for CUDA without its binaries makes onnxruntime-node print a red native log line ("[E:onnxruntime
// ...] Failed to load library") before it fails. That is onnxruntime's environment logger, whose level is fixed when
// onnxruntime starts (a session's logSeverityLevel does not reach it). The answer is known without a session when the
// folder of the onnxruntime-node binding this process loaded has no CUDA provider library: its install put none there.
const CUDA_PROVIDER = "libonnxruntime_providers_cuda.so";

/** Why CUDA cannot load, when no onnxruntime-node binding loaded here has its CUDA provider library beside it. */
async function missingCudaProvider(): Promise<string | undefined> {
  if (process.platform !== "linux") return undefined;
  const [{ createRequire }, fs, path] = await Promise.all([import("node:module"), import("node:fs"), import("node:path")]);
  // Native addons are in require's cache under their paths; transformers.js loads onnxruntime-node's on import.
  const cached = Object.keys(createRequire(path.join(process.cwd(), "noop.js")).cache);
  const folders = cached.filter((file) => path.basename(file) === "onnxruntime_binding.node").map((file) => path.dirname(file));
  if (folders.length === 0 || folders.some((folder) => fs.existsSync(path.join(folder, CUDA_PROVIDER)))) return undefined;
  return `onnxruntime-node has no ${CUDA_PROVIDER} in ${folders[0]}: its CUDA binaries are not installed`;
}

/** onnxruntime's messages start with a C++ source location; the reason is after "FAIL : ". */
function firstLine(message: string): string {
  const reason = /FAIL : (.*)/.exec(message)?.[1] ?? message;
  return reason.split("\n")[0]!.trim();
}

const FALLBACK = 'Use device: "cpu" (the default in Node), or "auto" for the best device that works here.';

function unavailable(device: RerankerDevice, reason: string): DeviceUnavailableError {
  switch (device) {
    case "cuda":
      return new DeviceUnavailableError(
        `device "cuda" was asked for, but onnxruntime-node cannot use CUDA in this process (${reason}). CUDA needs Linux x64, an NVIDIA ` +
          "GPU with the CUDA and cuDNN libraries onnxruntime-node was built for, and its CUDA binaries, which its install script " +
          `downloads (reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 for 1.30, ONNXRUNTIME_NODE_INSTALL_CUDA=v12 for 1.21). ${FALLBACK}`,
      );
    case "dml":
      return new DeviceUnavailableError(
        `device "dml" (DirectML) was asked for, but onnxruntime-node has DirectML on Windows only and this is ${process.platform} (${reason}). ${FALLBACK}`,
      );
    case "webgpu":
      return new DeviceUnavailableError(
        `device "webgpu" was asked for, but onnxruntime-node offers no WebGPU here (${reason}); WebGPU is a browser device (onnxruntime-web). ${FALLBACK}`,
      );
    default:
      return new DeviceUnavailableError(`device "${device}" is not available in this process (${reason}). ${FALLBACK}`);
  }
}

/**
 * The device a Node load runs on: the one asked for once proved to work (else `DeviceUnavailableError` naming it
 * and the fix); for "auto", the first GPU device that works, else the CPU and why no GPU device was used.
 */
export async function resolveNodeDevice(transformers: Transformers, device: RerankerDevice): Promise<{ device: RerankerDevice; reason?: string }> {
  if (device === "cpu") return { device };
  if (device === "wasm") {
    throw new DeviceUnavailableError(
      'device "wasm" is onnxruntime-web\'s, for browsers; in Node, onnxruntime-node runs models natively. Use device: "cpu" (the default in Node), or "auto".',
    );
  }
  if (device === "auto") {
    const failures: string[] = [];
    for (const candidate of gpuCandidates()) {
      const reason = await probe(transformers, candidate);
      if (reason === undefined) return { device: candidate };
      failures.push(`${candidate}: ${reason}`);
    }
    return {
      device: "cpu",
      reason: failures.length > 0 ? failures.join("; ") : `onnxruntime-node has no GPU device on ${process.platform} ${process.arch}`,
    };
  }
  const reason = await probe(transformers, device);
  if (reason !== undefined) throw unavailable(device, reason);
  return { device };
}
