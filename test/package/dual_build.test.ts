import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

const node = promisify(execFile);

// An app that both requires and imports the package loads its CJS and ESM builds side by side: two copies of each
// error class. Catching by class must still work across them.
describe("errors across the CJS and ESM builds in one process", () => {
  it("an error made by one build is instanceof the other build's classes, and only of the right ones", async () => {
    const program = `
      const { createRequire } = await import("node:module");
      const cjs = createRequire(process.cwd() + "/")("langchain-rerank");
      const esm = await import("langchain-rerank");
      const aiSdkCjs = createRequire(process.cwd() + "/")("langchain-rerank/ai-sdk");
      let fromAiSdk;
      try { new aiSdkCjs.CrossEncoderRerankingModel({}); } catch (error) { fromAiSdk = error; }
      const fromCjs = new cjs.InvalidOptionError("x");
      const fromEsm = new esm.ModelNotFoundError("y");
      console.log(JSON.stringify({
        distinctCopies: cjs.RerankError !== esm.RerankError,
        cjsInEsm: [fromCjs instanceof esm.InvalidOptionError, fromCjs instanceof esm.RerankError, fromCjs instanceof Error],
        esmInCjs: [fromEsm instanceof cjs.ModelNotFoundError, fromEsm instanceof cjs.RerankError],
        wrongClass: [fromCjs instanceof esm.ModelNotFoundError, fromEsm instanceof cjs.InvalidOptionError, new Error("z") instanceof esm.RerankError],
        remote: new esm.RemoteRerankError("r", { service: "s", kind: "timeout", attempts: 1 }) instanceof cjs.RerankError,
        aiSdk: [fromAiSdk instanceof esm.InvalidOptionError, fromAiSdk instanceof esm.RerankError, fromAiSdk instanceof esm.ModelNotFoundError],
      }));
    `;
    const { stdout } = await node(process.execPath, ["--input-type=module", "-e", program], { cwd: PROJECT_DIR });
    expect(JSON.parse(stdout)).toEqual({
      distinctCopies: true,
      cjsInEsm: [true, true, true],
      esmInCjs: [true, true],
      wrongClass: [false, false, false],
      remote: true,
      aiSdk: [true, true, false],
    });
  });
});

// A CommonJS project's types `require` each .d.cts's imports, and an ES-module-only package there fails it
// (TS1479 without skipLibCheck); an optional peer there fails a project that lacks it. So the declarations import
// @langchain/core (the one required peer, CJS and ESM), their own chunks and, in /ai-sdk's, @ai-sdk/provider only;
// test/package/packed_install.test.ts type-checks a strict CommonJS project against every entry.
describe("the published declarations", () => {
  it("every .d.ts and .d.cts imports only @langchain/core and its own chunks (/ai-sdk: @ai-sdk/provider; never transformers.js)", () => {
    const dist = join(PROJECT_DIR, "dist");
    const files = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f));
    expect(files).toContain("huggingface.d.cts");
    // Code lines only: the JSDoc @examples import the package itself.
    const code = (f: string) => readFileSync(join(dist, f), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const foreign = files.flatMap((f) =>
      [...code(f).matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)]
        .map((m) => m[1]!)
        .filter((specifier) => !specifier.startsWith("./") && !specifier.startsWith("@langchain/core/"))
        // The /ai-sdk entry implements @ai-sdk/provider's interface (a CommonJS-and-ESM peer its users install).
        .filter((specifier) => !(f.startsWith("ai_sdk.") && specifier === "@ai-sdk/provider"))
        .map((specifier) => `${f}: ${specifier}`),
    );
    expect(foreign).toEqual([]);
  });
});
