import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DOCUMENTS, DEMO_QUERIES } from "../../examples/demo_corpus.js";
import { HuggingFaceCrossEncoder } from "../../src/huggingface.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";
import { type StaticServer, serveStatic } from "../support/static_server.js";
import { type Chromium, launchChromium } from "./chromium.js";

// The example page (examples/browser, built by `npm run test:browser` with Vite) in Debian's headless Chromium,
// served on 127.0.0.1 with the fp32 fixture model beside it. onnxruntime-web's WASM file is the one Vite emitted
// into the page's assets: nothing may come from anywhere else.

const SITE = join(PROJECT_DIR, "examples", "browser", "dist");
const ARTIFACTS = join(PROJECT_DIR, "test-artifacts");
const MODEL_URL = "/models/tiny-bert-reranker/";
/** onnxruntime-web's own dist folder, served at /ort/ for the `wasmPaths` check. */
const ORT_DIST = join(PROJECT_DIR, "node_modules", "onnxruntime-web", "dist");

interface PageRow {
  id: string;
  text: string;
  bm25Rank: number;
  score?: number;
}
interface PageState {
  status: string;
  device: string;
  query: string;
  progressEvents: number;
  candidates: PageRow[];
  reranked: PageRow[];
  error?: { name: string; message: string };
}
interface DemoWindow {
  rerankDemo: {
    state: PageState;
    HuggingFaceCrossEncoder: new (fields: Record<string, unknown>) => { score(pairs: [string, string][]): Promise<number[]>; load(): Promise<void> };
  };
}

let server: StaticServer;
let browser: Chromium;

beforeAll(async () => {
  if (!existsSync(join(SITE, "index.html"))) throw new Error(`${SITE} is not built: run npm run test:browser (it builds the example first).`);
  server = await serveStatic({ "/": SITE, [MODEL_URL]: FIXTURE_RERANKER, "/ort/": ORT_DIST });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(query = ""): Promise<Page> {
  const page = await browser.context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error));
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => (globalThis as unknown as Partial<DemoWindow>).rerankDemo !== undefined);
  return page;
}

/** Loads a scorer in the page with `fields` and reports the error it throws (or null). */
async function loadError(fields: Record<string, unknown>): Promise<{ name: string; message: string } | null> {
  const page = await openPage();
  try {
    return await page.evaluate(async (f) => {
      const { HuggingFaceCrossEncoder } = (globalThis as unknown as DemoWindow).rerankDemo;
      try {
        await new HuggingFaceCrossEncoder(f).load();
        return null;
      } catch (error) {
        return { name: (error as Error).name, message: (error as Error).message };
      }
    }, fields);
  } finally {
    await page.close();
  }
}

describe("the browser example in headless Chromium", () => {
  let state: PageState;

  it("loads the model with a progress bar, reranks the BM25 candidates and shows scores and timings", async () => {
    const page = await openPage(`?model=${MODEL_URL}&dtype=fp32&k=6&auto=1`);
    await page.waitForFunction(() => ["done", "error"].includes((globalThis as unknown as DemoWindow).rerankDemo.state.status), undefined, {
      timeout: 120_000,
    });
    state = await page.evaluate(() => (globalThis as unknown as DemoWindow).rerankDemo.state);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "browser.png"), fullPage: true });
    expect(state.error).toBeUndefined();
    expect(state.status).toBe("done");
    expect(state.device).toBe("wasm"); // the browser default: onnxruntime-node's "cpu" does not exist there
    expect(state.progressEvents).toBeGreaterThan(0);
    expect(await page.locator("#progress").evaluate((el) => (el as unknown as { value: number }).value)).toBe(1);
    expect(state.candidates).toHaveLength(6);
    expect(state.reranked.map((r) => r.id).sort()).toEqual(state.candidates.map((r) => r.id).sort());
    const scores = state.reranked.map((r) => r.score!);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // What a person sees: both tables filled, the scores and the timings line.
    expect(await page.locator("#candidates tr").count()).toBe(7);
    expect(await page.locator("#reranked tr").count()).toBe(7);
    expect(await page.locator("#reranked tr").nth(1).locator("td").nth(1).textContent()).toBe(scores[0]!.toFixed(4));
    expect(await page.locator("#timings").textContent()).toMatch(/model load \d+ ms · BM25 [\d.]+ ms · rerank 6 pairs \d+ ms \(fp32, wasm\)/);
    await page.close();
  });

  it("scores match Node's (onnxruntime-node, same fp32 model and pairs) within 1e-4", async () => {
    const node = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32" });
    const nodeRanked = await node.score(state.reranked.map((r) => [state.query, r.text]));
    state.reranked.forEach((r, i) => expect(Math.abs(r.score! - nodeRanked[i]!)).toBeLessThan(1e-4));
    // Every query against the whole corpus, as raw logits too (sigmoid would hide differences far from 0).
    const pairs = DEMO_QUERIES.flatMap((q) => DEMO_DOCUMENTS.map((d): [string, string] => [q, d.pageContent]));
    const page = await openPage();
    const inBrowser = await page.evaluate(
      async ({ pairs, model }) => {
        const { HuggingFaceCrossEncoder } = (globalThis as unknown as DemoWindow).rerankDemo;
        const sigmoid = await new HuggingFaceCrossEncoder({ model, dtype: "fp32", device: "wasm" }).score(pairs);
        const raw = await new HuggingFaceCrossEncoder({ model, dtype: "fp32", device: "wasm", scoreMode: "raw" }).score(pairs);
        return { sigmoid, raw };
      },
      { pairs, model: MODEL_URL },
    );
    await page.close();
    const inNode = {
      sigmoid: await node.score(pairs),
      raw: await new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, dtype: "fp32", scoreMode: "raw" }).score(pairs),
    };
    expect(inBrowser.raw).toHaveLength(pairs.length);
    const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
    expect(maxDiff(inBrowser.sigmoid, inNode.sigmoid)).toBeLessThan(1e-4);
    expect(maxDiff(inBrowser.raw, inNode.raw)).toBeLessThan(1e-4);
    // The fixture's scores differ between pairs, so agreement is not two constant outputs matching.
    expect(new Set(inNode.raw.map((x) => x.toFixed(4))).size).toBeGreaterThan(10);
  });

  it("a model URL that 404s names the URL and the fix", async () => {
    const error = await loadError({ model: "/models/missing/", device: "wasm" });
    expect(error?.name).toBe("ModelNotFoundError");
    expect(error?.message).toContain(`${server.url}/models/missing/config.json returned 404`);
    expect(error?.message).toMatch(/Serve the folder/);
  });

  it("a dtype whose ONNX file is not served names the file", async () => {
    const error = await loadError({ model: MODEL_URL, dtype: "fp16", device: "wasm" });
    expect(error?.name).toBe("MissingOnnxFileError");
    expect(error?.message).toContain("onnx/model_fp16.onnx");
  });

  it("WASM files that are not served name where onnxruntime-web looked", async () => {
    const error = await loadError({ model: MODEL_URL, dtype: "fp32", device: "wasm", wasmPaths: "/no-wasm-here/" });
    expect(error?.name).toBe("MissingDependencyError");
    expect(error?.message).toContain("onnxruntime-web could not load its WASM runtime from /no-wasm-here/");
  });

  it('device "webgpu" without a GPU adapter (headless, --disable-gpu) says so', async () => {
    const error = await loadError({ model: MODEL_URL, dtype: "fp32", device: "webgpu" });
    expect(error?.name).toBe("DeviceUnavailableError");
    expect(error?.message).toMatch(/navigator\.gpu/);
  });

  it("wasmPaths loads the WASM runtime from a folder the app chose", async () => {
    const before = browser.requests.length;
    expect(await loadError({ model: MODEL_URL, dtype: "fp32", wasmPaths: "/ort/" })).toBeNull();
    const wasm = browser.requests.slice(before).filter((url) => url.endsWith(".wasm"));
    expect(wasm).toEqual([`${server.url}/ort/ort-wasm-simd-threaded.jsep.wasm`]);
  });

  it('device "cpu" (onnxruntime-node\'s) says to use "wasm"', async () => {
    const error = await loadError({ model: MODEL_URL, dtype: "fp32", device: "cpu" });
    expect(error?.name).toBe("DeviceUnavailableError");
    expect(error?.message).toContain('use device "wasm"');
  });

  it("the pages fetched nothing outside 127.0.0.1", () => {
    expect(browser.requests.length).toBeGreaterThan(5);
    const outside = browser.requests.filter((url) => {
      const { protocol, hostname } = new URL(url);
      return !(protocol === "data:" || protocol === "blob:" || (protocol === "http:" && hostname === "127.0.0.1"));
    });
    expect(outside).toEqual([]);
    // The WASM runtime came from the page's own assets.
    expect(browser.requests.some((url) => /\/assets\/ort-wasm-simd-threaded\.jsep-[\w-]+\.wasm$/.test(url))).toBe(true);
  });
});
