import { execFile } from "node:child_process";
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
      const cohere = await import("langchain-rerank/cohere");
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
        remote: new cohere.RemoteRerankError("r", { service: "s", kind: "timeout", attempts: 1 }) instanceof cjs.RerankError,
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
