import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`); playwright's own browser downloads are not used. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Chromium {
  context: BrowserContext;
  /** Every URL any page of the context requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * WebGPU on the CPU: Chromium's SwiftShader Vulkan driver behind a real WebGPU implementation (Dawn), so pages on
 * http://127.0.0.1 (a secure context) get an adapter ("google", "swiftshader") without a GPU. Slow, but exact.
 */
export const WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--enable-features=Vulkan"];

/**
 * Headless Chromium with a fresh profile (--user-data-dir in a new temporary folder), recording every request;
 * `webgpu` swaps --disable-gpu for SwiftShader's WebGPU.
 */
export async function launchChromium({ webgpu = false }: { webgpu?: boolean } = {}): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  const profile = mkdtempSync(join(tmpdir(), "rerank-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: webgpu ? [...CHROMIUM_FLAGS.filter((flag) => flag !== "--disable-gpu"), ...WEBGPU_FLAGS] : CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  const requests: string[] = [];
  context.on("request", (request) => requests.push(request.url()));
  return {
    context,
    requests,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
