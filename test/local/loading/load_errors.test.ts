import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { env } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HuggingFaceCrossEncoder } from "../../../src/huggingface.js";
import { ModelNotFoundError } from "../../../src/index.js";
import { hubHttpFailure } from "../../../src/local/loading/load_errors.js";

// A hub or mirror that answers with an HTTP error (src/local/loading/load_errors.ts): a real server on 127.0.0.1 stands in
// for the hub through transformers.js's env.remoteHost, answering every request with the status under test.

let server: Server;
let status = 500;
let origin = "";
const requests: string[] = [];
const cacheDirs: string[] = [];
let remoteHost: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.writeHead(status, { "content-type": "text/plain" }).end(`status ${status}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  remoteHost = env.remoteHost;
  env.remoteHost = `${origin}/`;
});
afterAll(async () => {
  env.remoteHost = remoteHost;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const dir of cacheDirs) rmSync(dir, { recursive: true, force: true });
});

async function loadFailure(answer: number): Promise<Error> {
  status = answer;
  const cacheDir = mkdtempSync(join(tmpdir(), "rerank-cache-"));
  cacheDirs.push(cacheDir);
  const error = await new HuggingFaceCrossEncoder({ model: "Xenova/some-reranker", cacheDir }).load().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return Object.assign(error as Error, { cacheDir });
}

describe("a hub or mirror answering with an HTTP error", () => {
  it.each([500, 502, 503, 504, 408])("HTTP %i: ModelNotFoundError naming the status, the URL, the cache and the fixes", async (answer) => {
    const error = await loadFailure(answer);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.message).toContain(
      `Cannot load "Xenova/some-reranker": the model server answered HTTP ${answer} for ${origin}/Xenova/some-reranker/resolve/main/config.json`,
    );
    expect(error.message).toContain(`not in the cache at ${(error as Error & { cacheDir: string }).cacheDir}`);
    expect(error.message).toContain("the server failed or is overloaded");
    expect(error.message).toContain(
      'pass a local folder: model: "/path/to/folder" with config.json, tokenizer.json, tokenizer_config.json and onnx/model_quantized.onnx',
    );
    expect(requests.at(-1)).toBe("/Xenova/some-reranker/resolve/main/config.json");
  });

  it.each([
    [429, "rate-limiting"],
    [401, "private or gated"],
    [403, "private or gated"],
    [400, "refused the request"],
    [418, "refused the request"],
  ] as const)("HTTP %i: ModelNotFoundError that says what the status means (%s)", async (answer, meaning) => {
    const error = await loadFailure(answer);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.message).toContain(`answered HTTP ${answer} for ${origin}/`);
    expect(error.message).toContain(meaning);
  });

  it("a 404 stays the not-found error it was", async () => {
    const error = await loadFailure(404);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error.message).toContain('"Xenova/some-reranker" was not found on the Hugging Face hub');
  });
});

describe("hubHttpFailure", () => {
  it("reads both message shapes of transformers.js 3 and 4, and nothing else", () => {
    expect(hubHttpFailure('Service unavailable error occurred while trying to load file: "https://h/x/resolve/main/config.json".')).toEqual({
      status: 503,
      url: "https://h/x/resolve/main/config.json",
    });
    expect(hubHttpFailure('Error (429) occurred while trying to load file: "https://h/a.json".')).toEqual({ status: 429, url: "https://h/a.json" });
    expect(hubHttpFailure('Unauthorized access to file: "https://h/a.json".')).toEqual({ status: 401, url: "https://h/a.json" });
    expect(hubHttpFailure('Could not locate file: "https://h/a.json".')).toBeUndefined();
    expect(hubHttpFailure("fetch failed")).toBeUndefined();
    expect(hubHttpFailure('Something else: "https://h/a.json".')).toBeUndefined();
  });
});
