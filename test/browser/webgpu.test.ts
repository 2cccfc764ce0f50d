import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DOCUMENTS, DEMO_QUERIES } from "../../examples/demo_corpus.js";
import { causalModelsUnavailable, ensureQwen3Fixture } from "../../scripts/causal_models.js";
import { ColBERTCrossEncoder, HuggingFaceCausalCrossEncoder, HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { FIXTURE_COLBERT, FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";
import { type StaticServer, serveStatic } from "../support/static_server.js";
import { CHROMIUM, type Chromium, launchChromium } from "./chromium.js";

// WebGPU for real: the example page in Chromium with SwiftShader's WebGPU (a CPU implementation: no speed here is a
// GPU's), reranking with each local family on device "webgpu", held to WASM in the same page and to Node's
// onnxruntime; then what a page gets where WebGPU is missing or fails, simulated in the real browser by overriding
// navigator.gpu before the page's scripts run. See docs/browser.md, "WebGPU".

const SITE = join(PROJECT_DIR, "examples", "browser", "dist");
/**
 * Per family: candidates the page reranks (few for the causal LM: its 151,669-token logits for every position are
 * slow to read back on SwiftShader), and the largest |WebGPU − WASM| and |WebGPU − Node| allowed for a raw score
 * (logits; ColBERT's MaxSim sums). The causal fixture's differ more on WebGPU: see docs/browser.md.
 */
const FAMILY_RUN: Record<Family, { k: number; tolerance: number }> = {
  "cross-encoder": { k: 6, tolerance: 1e-4 },
  causal: { k: 3, tolerance: 1e-2 },
  colbert: { k: 6, tolerance: 1e-4 },
};

/** Why WebGPU cannot be tested here, or undefined: checked once, in a throwaway browser. */
async function webGpuMissing(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (!existsSync(join(SITE, "index.html"))) return `${SITE} is not built (npm run test:browser builds it)`;
  const server = await serveStatic({ "/": SITE });
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/`);
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu === undefined ? "navigator.gpu is undefined" : (await gpu.requestAdapter()) === null ? "requestAdapter() gave null" : undefined;
    });
    return adapter === undefined ? undefined : `Chromium (${CHROMIUM}) offers no WebGPU with SwiftShader: ${adapter}`;
  } finally {
    await browser.close();
    await server.close();
  }
}

const missing = (await webGpuMissing()) ?? causalModelsUnavailable();
// Locally a missing browser or adapter skips, saying why; in CI it fails: the WebGPU path must have run there.
if (missing !== undefined && process.env.CI === "true") throw new Error(`CI must run the WebGPU browser test, but: ${missing}`);

type Family = "cross-encoder" | "causal" | "colbert";
interface PageState {
  status: string;
  device: string;
  deviceFallbackReason?: string;
  query: string;
  reranked: { id: string; text: string; score?: number }[];
  error?: { name: string; message: string };
}
interface Scorer {
  score(pairs: [string, string][]): Promise<number[]>;
  load(): Promise<void>;
  dispose(): Promise<void>;
  loadedDevice?: string;
  deviceFallbackReason?: string;
}
type ScorerClass = new (fields: Record<string, unknown>) => Scorer;
interface DemoWindow {
  rerankDemo: {
    state: PageState;
    HuggingFaceCrossEncoder: ScorerClass;
    HuggingFaceCausalCrossEncoder: ScorerClass;
    ColBERTCrossEncoder: ScorerClass;
  };
}
type ClassName = "HuggingFaceCrossEncoder" | "HuggingFaceCausalCrossEncoder" | "ColBERTCrossEncoder";

let server: StaticServer;
let browser: Chromium;
let causalFolder: string;

const MODELS: Record<Family, { url: string; className: ClassName; fields: Record<string, unknown> }> = {
  "cross-encoder": { url: "/models/cross-encoder/", className: "HuggingFaceCrossEncoder", fields: { scoreMode: "raw" } },
  causal: { url: "/models/causal/", className: "HuggingFaceCausalCrossEncoder", fields: { family: "qwen3-reranker", scoreMode: "raw" } },
  colbert: { url: "/models/colbert/", className: "ColBERTCrossEncoder", fields: {} },
};
/** Pairs for the checks where WebGPU is missing: one query against four documents. */
const PAIRS: [string, string][] = DEMO_DOCUMENTS.slice(0, 4).map((d): [string, string] => [DEMO_QUERIES[0]!, d.pageContent]);

/** The same model on onnxruntime-node (fp32, CPU), with raw scores. */
function nodeScorer(family: Family): Scorer {
  const scoreMode = "raw";
  if (family === "cross-encoder") return new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", scoreMode });
  if (family === "causal") return new HuggingFaceCausalCrossEncoder({ model: causalFolder, family: "qwen3-reranker", dtype: "fp32", scoreMode });
  return new ColBERTCrossEncoder({ model: FIXTURE_COLBERT, dtype: "fp32" });
}

/** Opens the example page; `init` runs before its scripts (to take WebGPU away, or watch the GPU device). */
async function openPage(query = "", init?: string): Promise<Page> {
  const page = await browser.context.newPage();
  if (init !== undefined) await page.addInitScript(init);
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => (globalThis as unknown as Partial<DemoWindow>).rerankDemo !== undefined);
  return page;
}

interface Outcome {
  scores?: number[];
  loadedDevice?: string;
  deviceFallbackReason?: string;
  error?: { name: string; message: string };
}

/** Scores `pairs` in the page with a new scorer of `className` and `fields`: its scores and device, or its error. */
function scoreInPage(page: Page, className: ClassName, fields: Record<string, unknown>, pairs: [string, string][] = PAIRS): Promise<Outcome> {
  return page.evaluate(
    async ({ className, fields, pairs }) => {
      const scorer = new (globalThis as unknown as DemoWindow).rerankDemo[className](fields);
      try {
        const scores = await scorer.score(pairs);
        return { scores, loadedDevice: scorer.loadedDevice, deviceFallbackReason: scorer.deviceFallbackReason };
      } catch (error) {
        return { error: { name: (error as Error).name, message: (error as Error).message } };
      }
    },
    { className, fields, pairs },
  );
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe.runIf(missing === undefined)(`WebGPU in headless Chromium (SwiftShader)${missing ? ` [skipped: ${missing}]` : ""}`, () => {
  beforeAll(async () => {
    causalFolder = ensureQwen3Fixture(true);
    server = await serveStatic({
      "/": SITE,
      "/models/cross-encoder/": FIXTURE_RERANKER,
      "/models/causal/": causalFolder,
      "/models/colbert/": FIXTURE_COLBERT,
      // The fp32 graph under fp16's file name: what is tested is the choice of device for an fp16 load, not fp16 math.
      "/models/fp16/onnx/model_fp16.onnx": join(FIXTURE_RERANKER, "onnx", "model.onnx"),
      "/models/fp16/": FIXTURE_RERANKER,
    });
    browser = await launchChromium({ webgpu: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the adapter is SwiftShader on the CPU (vendor "google"), it gives a device, and it offers no shader-f16', async () => {
    const page = await openPage();
    const gpu = await page.evaluate(async () => {
      type Adapter = { info: { vendor: string; architecture: string }; features: Set<string>; requestDevice(): Promise<unknown> };
      const adapter = (await (navigator as unknown as { gpu: { requestAdapter(): Promise<Adapter> } }).gpu.requestAdapter())!;
      return {
        vendor: adapter.info.vendor,
        architecture: adapter.info.architecture,
        f16: adapter.features.has("shader-f16"),
        device: (await adapter.requestDevice()) !== null,
      };
    });
    await page.close();
    expect(gpu).toMatchObject({ vendor: "google", architecture: "swiftshader", f16: false, device: true });
  });

  it.each(["cross-encoder", "causal", "colbert"] as const)(
    "%s: the example page reranks on WebGPU; its scores match WASM in the same page and Node within the tolerance",
    async (family) => {
      const { url, className, fields } = MODELS[family];
      const { k, tolerance } = FAMILY_RUN[family];
      const page = await openPage(`?model=${url}&dtype=fp32&family=${family}&device=webgpu&raw=1&k=${k}&auto=1`);
      await page.waitForFunction(() => ["done", "error"].includes((globalThis as unknown as DemoWindow).rerankDemo.state.status), undefined, {
        timeout: 540_000,
      });
      const state = await page.evaluate(() => (globalThis as unknown as DemoWindow).rerankDemo.state);
      expect(state.error).toBeUndefined();
      expect(state.device).toBe("webgpu");
      expect(state.reranked).toHaveLength(k);
      expect(await page.locator("#timings").textContent()).toMatch(/\(fp32, webgpu\)$/);
      // The pairs the page scored on WebGPU (raw), on WASM in the same page, and on onnxruntime-node.
      const pairs = state.reranked.map((r): [string, string] => [state.query, r.text]);
      const onWebGpu = state.reranked.map((r) => r.score!);
      const wasm = await scoreInPage(page, className, { ...fields, model: url, dtype: "fp32", device: "wasm" }, pairs);
      // "auto" where WebGPU works: on WebGPU, no fallback recorded.
      const auto =
        family === "cross-encoder" ? await scoreInPage(page, className, { ...fields, model: url, dtype: "fp32", device: "auto" }, pairs) : undefined;
      await page.close();
      expect(wasm.error).toBeUndefined();
      expect(wasm.loadedDevice).toBe("wasm");
      const node = nodeScorer(family);
      const inNode = await node.score(pairs);
      await node.dispose();
      const diffs = { wasm: maxDiff(onWebGpu, wasm.scores!), node: maxDiff(onWebGpu, inNode), wasmNode: maxDiff(wasm.scores!, inNode) };
      console.log(
        `${family}: ${pairs.length} pairs, largest |WebGPU − WASM| ${diffs.wasm.toExponential(2)}, |WebGPU − Node| ${diffs.node.toExponential(2)}, ` +
          `|WASM − Node| ${diffs.wasmNode.toExponential(2)} (scores ${Math.min(...inNode).toFixed(3)} to ${Math.max(...inNode).toFixed(3)})`,
      );
      expect(diffs.wasm).toBeLessThan(tolerance);
      expect(diffs.node).toBeLessThan(tolerance);
      expect(diffs.wasmNode).toBeLessThan(1e-4);
      // The pairs' scores differ, so agreement is not two constant outputs matching.
      expect(new Set(inNode.map((x) => x.toFixed(4))).size).toBeGreaterThan(pairs.length / 2);
      if (auto !== undefined) {
        expect(auto).toMatchObject({ loadedDevice: "webgpu" });
        expect(auto.deviceFallbackReason).toBeUndefined();
        expect(maxDiff(auto.scores!, onWebGpu)).toBeLessThan(1e-6);
      }
    },
    600_000,
  );

  describe("where WebGPU is missing or fails", () => {
    const ce = (fields: Record<string, unknown>) => ({ model: MODELS["cross-encoder"].url, dtype: "fp32", ...fields });
    // Each case is what a browser does without WebGPU, made here by changing navigator.gpu before the page runs.
    const cases = [
      ["no navigator.gpu (a browser without WebGPU)", "delete Navigator.prototype.gpu;", /navigator\.gpu is undefined/],
      [
        "requestAdapter() gives null (GPU blocklisted or disabled)",
        "GPU.prototype.requestAdapter = async () => null;",
        /requestAdapter\(\) found no GPU adapter/,
      ],
    ] as const;

    it.each(cases)('%s: "webgpu" is a DeviceUnavailableError naming the fix; "auto" runs on WASM and says why', async (_, init, reason) => {
      const page = await openPage("", init);
      const webgpu = await scoreInPage(page, "HuggingFaceCrossEncoder", ce({ device: "webgpu" }));
      const auto = await scoreInPage(page, "HuggingFaceCrossEncoder", ce({ device: "auto" }));
      const wasm = await scoreInPage(page, "HuggingFaceCrossEncoder", ce({ device: "wasm" }));
      await page.close();
      expect(webgpu.error?.name).toBe("DeviceUnavailableError");
      expect(webgpu.error?.message).toMatch(reason);
      expect(webgpu.error?.message).toContain('Use device "wasm"');
      expect(auto.loadedDevice).toBe("wasm");
      expect(maxDiff(auto.scores!, wasm.scores!)).toBeLessThan(1e-6); // two WASM sessions: threads may sum in another order
      expect(auto.deviceFallbackReason).toMatch(reason);
    });

    it('fp16 where the adapter has no shader-f16: "webgpu" names the dtype and the fix; "auto" runs on WASM and says why', async () => {
      const page = await openPage();
      const webgpu = await scoreInPage(page, "HuggingFaceCrossEncoder", { model: "/models/fp16/", dtype: "fp16", device: "webgpu" });
      const auto = await scoreInPage(page, "HuggingFaceCrossEncoder", { model: "/models/fp16/", dtype: "fp16", device: "auto" });
      await page.close();
      expect(webgpu.error?.name).toBe("DeviceUnavailableError");
      expect(webgpu.error?.message).toContain('the GPU adapter does not offer "shader-f16", which dtype "fp16" needs');
      expect(webgpu.error?.message).toContain('Use device "wasm" or weights WebGPU runs everywhere (dtype "fp32" or "q8")');
      expect(auto.error).toBeUndefined();
      expect(auto.loadedDevice).toBe("wasm");
      expect(auto.deviceFallbackReason).toContain("shader-f16");
    });

    // Records the page's GPU devices, and destroys them at the queue submission `__destroyAt`: a device lost in the
    // middle of a call, at a point fixed by the count of submissions, not by time.
    const LOSE_DEVICE = `
      globalThis.__devices = []; globalThis.__submits = 0; globalThis.__destroyAt = Infinity;
      const requestDevice = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await requestDevice.apply(this, args);
        globalThis.__devices.push(device);
        return device;
      };
      const submit = GPUQueue.prototype.submit;
      GPUQueue.prototype.submit = function (...args) {
        if (++globalThis.__submits === globalThis.__destroyAt) for (const device of globalThis.__devices) device.destroy();
        return submit.apply(this, args);
      };`;

    it("a device lost mid-call rejects that call, later ones and new loads on any device with DeviceUnavailableError (no hang)", async () => {
      const page = await openPage("", LOSE_DEVICE);
      const result = await page.evaluate(
        async ({ fields, pairs }) => {
          const g = globalThis as unknown as DemoWindow & { __submits: number; __destroyAt: number };
          const { HuggingFaceCrossEncoder } = g.rerankDemo;
          const outcome = (promise: Promise<unknown>) =>
            promise.then(
              () => "scored",
              (error: Error) => ({ name: error.name, message: error.message }),
            );
          // One pair per pass, so a call makes many passes and the device goes in the middle of one.
          const scorer = new HuggingFaceCrossEncoder({ ...fields, device: "webgpu", maxBatchSize: 1 });
          const before = await outcome(scorer.score(pairs));
          g.__destroyAt = g.__submits + 3;
          const during = await outcome(scorer.score(pairs));
          const after = await outcome(scorer.score(pairs));
          const disposed = await outcome(scorer.dispose());
          // onnxruntime-web's WASM runs wait on the lost device too: every new load fails at once, whatever the device.
          const loads = await Promise.all(
            ["webgpu", "auto", "wasm"].map((device) => outcome(new HuggingFaceCrossEncoder({ ...fields, device }).load())),
          );
          return { before, during, after, disposed, loads };
        },
        { fields: ce({}), pairs: PAIRS.slice(0, 2) },
      );
      await page.close();
      expect(result.before).toBe("scored");
      const lost = {
        name: "DeviceUnavailableError",
        message: expect.stringMatching(/^This page's WebGPU device was lost \(destroyed.*reload the page\.$/),
      };
      expect(result.during).toMatchObject(lost);
      expect(result.after).toMatchObject(lost);
      expect(result.disposed).toBe("scored");
      expect(result.loads).toEqual([lost, lost, lost]);
    }, 600_000);
  });
});
