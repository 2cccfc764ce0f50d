import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { DeviceUnavailableError, InvalidOptionError } from "../../../src/index.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";
import { samplePairs } from "../../support/pairs.js";
import { PROJECT_DIR } from "../../support/shared.js";

// Devices in Node (src/local/loading/device_support.ts), on real onnxruntime-node sessions. This machine and CI are Linux
// x64 with onnxruntime-node's CUDA download skipped (as the README advises), so CUDA cannot load: "auto" must fall
// back to the CPU, and every device that cannot run here must say so with DeviceUnavailableError and the fix.

// Where onnxruntime-node keeps its native libraries: CUDA's provider library is there only when it was downloaded.
// TRANSFORMERS_MAJOR=4 runs transformers.js 4 with its own onnxruntime-node (vitest.config.ts).
const ortBin = (() => {
  const root =
    process.env.TRANSFORMERS_MAJOR === "4"
      ? join(PROJECT_DIR, ".ci", "transformers-v4", "node_modules", "onnxruntime-node")
      : dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  const bin = join(root, "bin");
  const napi = existsSync(bin) ? readdirSync(bin).find((d) => d.startsWith("napi-")) : undefined;
  return napi === undefined ? bin : join(bin, napi, process.platform, process.arch);
})();
const cudaInstalled = existsSync(join(ortBin, "libonnxruntime_providers_cuda.so"));

const pairs = samplePairs(6);

describe("HuggingFaceCrossEncoder devices in Node", () => {
  it('"auto" scores on the best device that works: here the CPU, with the CPU\'s scores, and says why not CUDA', async () => {
    const cpu = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", device: "cpu" });
    const auto = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", device: "auto" });
    expect(auto.loadedDevice).toBeUndefined(); // until it loads
    const expected = await cpu.score(pairs);
    const got = await auto.score(pairs);
    if (!cudaInstalled) expect(got).toEqual(expected);
    else got.forEach((score, i) => expect(score).toBeCloseTo(expected[i]!, 4));
    // The scorer says where it runs and, for "auto" on the CPU, why no GPU device was used.
    expect([cpu.loadedDevice, cpu.deviceFallbackReason]).toEqual(["cpu", undefined]);
    if (!cudaInstalled && process.platform === "linux" && process.arch === "x64") {
      expect(auto.loadedDevice).toBe("cpu");
      expect(auto.deviceFallbackReason).toMatch(/^cuda: .*(libonnxruntime_providers_cuda|Cuda)/);
    }
    await Promise.all([cpu.dispose(), auto.dispose()]);
  });

  it.skipIf(cudaInstalled)('"cuda" without CUDA: DeviceUnavailableError naming the device, the missing library and the fix', async () => {
    const error = await new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, device: "cuda" }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceUnavailableError);
    const message = String((error as Error).message);
    expect(message).toContain('device "cuda" was asked for');
    expect(message).toContain(`onnxruntime-node has no libonnxruntime_providers_cuda.so in ${ortBin}: its CUDA binaries are not installed`);
    expect(message).toContain('Use device: "cpu"');
    // How to get the CUDA binaries, in the settings the README gives (environment variables, not .npmrc keys).
    expect(message).toContain("ONNXRUNTIME_NODE_INSTALL=cuda12 for 1.30, ONNXRUNTIME_NODE_INSTALL_CUDA=v12 for 1.21");
    expect(message).not.toContain("/onnxruntime_src/"); // onnxruntime's C++ source location is not the reason
  });

  it.each([
    ["dml", /device "dml" \(DirectML\) was asked for, but onnxruntime-node has DirectML on Windows only and this is linux/],
    ["webgpu", /device "webgpu" was asked for, but onnxruntime-node offers no WebGPU here .*WebGPU is a browser device/],
    ["wasm", /device "wasm" is onnxruntime-web's, for browsers/],
  ] as const)('"%s" in Node on Linux: DeviceUnavailableError naming the device and the fix', async (device, expected) => {
    if (device === "webgpu" && process.platform !== "linux") return;
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, device });
    for (let attempt = 0; attempt < 2; attempt++) {
      // twice: the probe's verdict is remembered, and the second load fails the same way
      const error = await scorer.score(pairs).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceUnavailableError);
      expect(String((error as Error).message)).toMatch(expected);
      expect(String((error as Error).message)).toMatch(/Use device: "cpu" \(the default in Node\), or "auto"/);
    }
  });

  it("a failed device leaves the process able to load on the CPU (no poisoned first session)", async () => {
    await new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, device: "dml" }).load().catch(() => undefined);
    const cpu = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });
    expect((await cpu.score(pairs)).every(Number.isFinite)).toBe(true);
    await cpu.dispose();
  });

  it('transformers.js device names this package does not offer ("gpu", "webnn") are refused at construction', () => {
    for (const device of ["gpu", "webnn", "webnn-gpu", "CUDA", ""]) {
      expect(() => new HuggingFaceCrossEncoder({ device: device as never })).toThrow(InvalidOptionError);
      expect(() => new HuggingFaceCrossEncoder({ device: device as never })).toThrow(
        /`device` must be one of "cpu", "cuda", "dml", "webgpu", "wasm", "auto"/,
      );
    }
  });
});

// The process as a user runs it, under each major's own onnxruntime-node (1.21 and 1.30): what it prints matters.
const majors = [
  ["3", join(PROJECT_DIR, "node_modules", "@huggingface", "transformers", "dist", "transformers.node.mjs")],
  ["4", join(PROJECT_DIR, ".ci", "transformers-v4", "node_modules", "@huggingface", "transformers", "dist", "transformers.node.mjs")],
] as const;

describe("resolveNodeDevice in a fresh process", () => {
  it.skipIf(cudaInstalled).each(majors)(
    'transformers.js %s: "cuda" without its binaries answers DeviceUnavailableError and prints no onnxruntime log line; "auto" falls back to the CPU',
    async (_major, transformersPath) => {
      if (!existsSync(transformersPath)) return; // transformers.js 4 is installed by .ci/run (.ci/transformers-v4)
      const dir = mkdtempSync(join(tmpdir(), "device-support-"));
      const script = join(dir, "cuda.mts");
      writeFileSync(
        script,
        `const transformers = await import(${JSON.stringify(transformersPath)});
const { resolveNodeDevice } = await import(${JSON.stringify(join(PROJECT_DIR, "src", "local", "loading", "device_support.ts"))});
const cuda = await resolveNodeDevice(transformers, "cuda").then(String, (e) => e.name);
console.log(JSON.stringify({ cuda, auto: (await resolveNodeDevice(transformers, "auto")).device }));`,
      );
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], { cwd: PROJECT_DIR });
        expect(JSON.parse(stdout)).toEqual({ cuda: "DeviceUnavailableError", auto: "cpu" });
        expect(stderr).not.toContain("onnxruntime");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
