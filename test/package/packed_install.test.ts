import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeRerankServer } from "../support/fake_rerank_server.js";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";

// The package as npm users receive it: `npm pack`, then the tarball installed into a fresh project with
// @langchain/core alone. What that install pulls in, what the root import loads and costs, and whether the
// README's Quick start runs there are all part of the product.

const exec = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const version = (name: string) =>
  (JSON.parse(readFileSync(join(PROJECT_DIR, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
const HEAVY = /node_modules\/(cohere-ai|@aws-sdk|vega[^/]*|d3[^/]*|cli-progress|@huggingface|onnxruntime[^/]*)(\/|$)/;

/** What a local model's first use says without transformers.js (src/local/loading/transformers_import.ts). */
const MISSING_TRANSFORMERS =
  "HuggingFaceCrossEncoder needs the optional peer dependency @huggingface/transformers: npm install @huggingface/transformers " +
  "(on Linux x64 offline or without a GPU: ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install @huggingface/transformers)";

let project: string;
const npm = (args: string[]) =>
  exec(NPM, [...args, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: project,
    // The README's settings for onnxruntime-node's install script (test/package/onnxruntime_install.test.ts).
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", ONNXRUNTIME_NODE_INSTALL_CUDA: "skip" },
    maxBuffer: 64 * 1024 * 1024,
  });
const node = (args: string[]) => exec(process.execPath, args, { cwd: project, maxBuffer: 16 * 1024 * 1024 });

/** Every module `import(specifier)` resolves, as "parent -> url" lines, recorded by a resolve hook. */
async function resolvedBy(specifier: string): Promise<string[]> {
  const name = specifier.replace(/\W+/g, "-");
  writeFileSync(
    join(project, `record-${name}.mjs`),
    `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
  import { appendFileSync } from "node:fs";
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context);
    appendFileSync(${JSON.stringify(join(project, `resolved-${name}.txt`))}, (context.parentURL ?? "") + " -> " + result.url + "\\\\n");
    return result;
  }\`));`,
  );
  await node(["--import", `./record-${name}.mjs`, "--input-type=module", "-e", `await import(${JSON.stringify(specifier)});`]);
  return readFileSync(join(project, `resolved-${name}.txt`), "utf8")
    .trim()
    .split("\n");
}

beforeAll(async () => {
  if (!existsSync(join(PROJECT_DIR, "dist", "index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does) before this suite.");
  project = mkdtempSync(join(tmpdir(), "langchain-rerank-install-"));
  const { stdout } = await exec(NPM, ["pack", "--pack-destination", project, "--loglevel=error"], { cwd: PROJECT_DIR });
  const tarball = join(project, stdout.trim().split("\n").at(-1)!);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "fresh-project", private: true, type: "module" }));
  await npm(["install", tarball, `@langchain/core@${version("@langchain/core")}`]);
}, 600_000);
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("npm install langchain-rerank @langchain/core, in a fresh project", () => {
  it("installs none of cohere-ai, @aws-sdk, vega, d3, nor the optional transformers.js", async () => {
    const { stdout } = await npm(["ls", "--all", "--parseable"]);
    const paths = stdout.split("\n").filter(Boolean);
    expect(paths.some((p) => p.endsWith("node_modules/langchain-rerank"))).toBe(true);
    expect(paths.filter((p) => HEAVY.test(p) && !/cli-progress/.test(p))).toEqual([]);
  });

  it("ships a LICENSE, the README and the docs it links to", () => {
    const installed = join(project, "node_modules", "langchain-rerank");
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toMatch(/MIT License/);
    const readme = readFileSync(join(installed, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\((?!https?:|#)([^)#]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(existsSync(join(installed, link)), link).toBe(true);
  });

  it("the root import loads no SDK, chart, progress bar, transformers.js, onnxruntime nor Node built-in", async () => {
    const lines = await resolvedBy("langchain-rerank");
    expect(lines.some((l) => l.includes("/node_modules/langchain-rerank/dist/index.js"))).toBe(true);
    expect(lines.filter((l) => HEAVY.test(l.split(" -> ")[1]!))).toEqual([]);
    const ours = lines.filter((l) => l.split(" -> ")[0]!.includes("/node_modules/langchain-rerank/"));
    expect(ours.filter((l) => /-> node:/.test(l))).toEqual([]);
  });

  it("rerank-eval --chart without the optional vega peers fails before evaluating, not after writing the other outputs", async () => {
    const dataset = join(project, "tiny-dataset");
    mkdirSync(join(dataset, "qrels"), { recursive: true });
    writeFileSync(join(dataset, "corpus.jsonl"), '{"_id":"d1","text":"red apples"}\n');
    writeFileSync(join(dataset, "queries.jsonl"), '{"_id":"q1","text":"red apples"}\n');
    writeFileSync(join(dataset, "qrels", "test.tsv"), "q1\td1\t1\n");
    const bin = join(project, "node_modules", ".bin", "rerank-eval");
    const failure = (await exec(bin, ["--dataset", dataset, "--json", "out.json", "--chart", "out.svg", "--quiet"], { cwd: project }).catch(
      (e: unknown) => e,
    )) as { code?: number; stdout?: string; stderr?: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toBe(
      "rerank-eval: Rendering the chart needs the optional peer dependencies vega and vega-lite: npm install vega vega-lite\n",
    );
    expect(failure.stdout).toBe("");
    expect(existsSync(join(project, "out.json"))).toBe(false);
  });

  it("new CrossEncoderReranker() without transformers.js: the first rerank names the missing peer (ESM and CJS)", async () => {
    const program = (load: string) => `
      const { CrossEncoderReranker } = ${load};
      const { Document } = await import("@langchain/core/documents");
      const reranker = new CrossEncoderReranker();
      const error = await reranker.compressDocuments([new Document({ pageContent: "red apples" })], "apples").catch((e) => e);
      console.log(JSON.stringify({ name: error?.name, message: error?.message }));`;
    for (const load of ['await import("langchain-rerank")', '(await import("node:module")).createRequire(process.cwd() + "/")("langchain-rerank")']) {
      const { stdout } = await node(["--input-type=module", "-e", program(load)]);
      expect(JSON.parse(stdout)).toEqual({
        name: "MissingDependencyError",
        message: MISSING_TRANSFORMERS,
      });
    }
  });

  it("the /ai-sdk entry loads no package (not ai, @ai-sdk/provider, LangChain nor transformers.js); localReranking names the missing peer", async () => {
    const lines = await resolvedBy("langchain-rerank/ai-sdk");
    expect(lines.some((l) => l.includes("/node_modules/langchain-rerank/dist/ai_sdk.js"))).toBe(true);
    expect(lines.filter((l) => !l.split(" -> ")[1]!.includes("/node_modules/langchain-rerank/dist/"))).toEqual([]);
    const program = (load: string) => `
      const { localReranking } = ${load};
      const model = localReranking("Xenova/bge-reranker-base");
      const error = await model.doRerank({ documents: { type: "text", values: ["red apples"] }, query: "apples" }).catch((e) => e);
      console.log(JSON.stringify({ name: error?.name, message: error?.message }));`;
    for (const load of [
      'await import("langchain-rerank/ai-sdk")',
      '(await import("node:module")).createRequire(process.cwd() + "/")("langchain-rerank/ai-sdk")',
    ]) {
      const { stdout } = await node(["--input-type=module", "-e", program(load)]);
      expect(JSON.parse(stdout)).toEqual({
        name: "MissingDependencyError",
        message: MISSING_TRANSFORMERS,
      });
    }
  });

  it("the README's Quick start runs there as pasted, on a local model folder", async () => {
    await npm([
      "install",
      `@huggingface/transformers@${version("@huggingface/transformers")}`,
      `@langchain/classic@${version("@langchain/classic")}`,
    ]);
    const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
    const install = /```bash\n(npm install langchain-rerank[^\n]*)\n```/.exec(readme);
    expect(install, "the README's first code block is the npm install line").not.toBeNull();
    expect(readme.indexOf("```")).toBe(install!.index);
    const quickStart = /```(?:js|ts|javascript|typescript)\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(quickStart).toContain('"Xenova/bge-reranker-base"');
    // BM25 from its own entry, not from /eval (which brings the evaluation tools along).
    expect(quickStart).toContain('import { OkapiBm25Retriever } from "langchain-rerank/bm25";');
    expect(quickStart).not.toContain("langchain-rerank/eval");
    // The hub is unreachable here: the same code on a local folder (random weights: the order means nothing).
    writeFileSync(join(project, "quick-start.mjs"), quickStart.replaceAll('"Xenova/bge-reranker-base"', JSON.stringify(FIXTURE_RERANKER)));
    const { stdout } = await node(["quick-start.mjs"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^0\.\d{3} \d+ \S/);
  });

  it("with ai installed, rerank() on a local folder and on a rerank server gives CrossEncoderReranker's ranking (ESM and CJS)", async () => {
    // transformers.js too (the Quick start installed it already when the whole file runs), for the local model.
    await npm(["install", `ai@${version("ai")}`, `@huggingface/transformers@${version("@huggingface/transformers")}`]);
    const server = await FakeRerankServer.start();
    try {
      const program = (load: string) => `
        const [{ rerank }, aiSdk, root] = ${load};
        const { Document } = await import("@langchain/core/documents");
        const texts = ["red apples and green pears", "apples", "a bicycle", "pears, apples and plums"];
        const scorers = [new root.RerankServerCrossEncoder({ url: ${JSON.stringify(server.url)} + "/rerank", dialect: "tei" })];
        const local = aiSdk.localReranking(${JSON.stringify(FIXTURE_RERANKER)}, { dtype: "fp32" });
        const out = [];
        for (const [model, scorer] of [[local, local.model], [aiSdk.crossEncoderReranking(scorers[0]), scorers[0]]]) {
          const { ranking } = await rerank({ model, documents: texts, query: "apples", topN: 2 });
          const expected = await new root.CrossEncoderReranker({ model: scorer, topN: 2 }).rerank(texts.map((t) => new Document({ pageContent: t })), "apples");
          out.push({ ranking: ranking.map((r) => [r.originalIndex, r.score]), expected: expected.map((r) => [r.index, r.relevanceScore]) });
        }
        console.log(JSON.stringify(out));`;
      const esm = 'await Promise.all([import("ai"), import("langchain-rerank/ai-sdk"), import("langchain-rerank")])';
      const cjs =
        '((r) => [r("ai"), r("langchain-rerank/ai-sdk"), r("langchain-rerank")])((await import("node:module")).createRequire(process.cwd() + "/"))';
      for (const load of [esm, cjs]) {
        const { stdout } = await node(["--input-type=module", "-e", program(load)]);
        const [local, served] = JSON.parse(stdout) as { ranking: [number, number][]; expected: [number, number][] }[];
        expect(local!.ranking).toHaveLength(2);
        expect(local!.ranking).toEqual(local!.expected);
        expect(served!.ranking).toEqual(served!.expected);
        // Word overlap: every text holding "apples" covers the one-word query, and ties keep input order.
        expect(served!.ranking.map(([index]) => index)).toEqual([0, 1]);
      }
    } finally {
      await server.close();
    }
  }, 600_000);

  it("a strict CommonJS TypeScript project without skipLibCheck type-checks against every entry (transformers.js and ai installed)", async () => {
    // A CJS project resolves each entry's "require" types (.d.cts): an ES-module-only import there is TS1479.
    const cjs = join(project, "cjs-types");
    mkdirSync(cjs, { recursive: true });
    writeFileSync(join(cjs, "package.json"), JSON.stringify({ name: "cjs-types", private: true }));
    const compilerOptions = {
      strict: true,
      module: "node16",
      moduleResolution: "node16",
      target: "es2022",
      lib: ["esnext", "dom"],
      types: [],
      noEmit: true,
      skipLibCheck: false,
    };
    writeFileSync(join(cjs, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["index.ts"] }));
    const entries = ["", "/huggingface", "/cohere", "/bm25", "/eval", "/monitor", "/ai-sdk"];
    writeFileSync(
      join(cjs, "index.ts"),
      entries.map((e, i) => `import * as entry${i} from "langchain-rerank${e}";\n`).join("") +
        'import { HuggingFaceCrossEncoder } from "langchain-rerank/huggingface";\n' +
        `export const entries = [${entries.map((_, i) => `entry${i}`).join(", ")}];\n` +
        'export const model: string = new HuggingFaceCrossEncoder({ model: "m" }).model;\n' +
        // Fails (unused directive) if the types resolved to `any`.
        '// @ts-expect-error dtype is one of the listed weights\nnew HuggingFaceCrossEncoder({ dtype: "fp64" });\n',
    );
    const tsc = join(PROJECT_DIR, "node_modules", "typescript", "bin", "tsc");
    const result = await exec(process.execPath, [tsc, "-p", "."], { cwd: cjs, maxBuffer: 16 * 1024 * 1024 }).catch((e: { stdout: string }) => e);
    const errors = result.stdout.split("\n").filter((l) => /\): error TS/.test(l));
    // Ours and the program's only: other packages' own declarations have their own (@langchain/core's
    // language_models/base.d.cts imports ESM-only js-tiktoken, TS1479; @ai-sdk/provider's needs @types/json-schema).
    expect(errors.filter((l) => l.includes("node_modules/langchain-rerank/") || !l.includes("node_modules/"))).toEqual([]);
  }, 300_000);
});
