import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { inspect } from "node:util";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document } from "@langchain/core/documents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CohereRerank } from "../../src/compressors/cohere_rerank.js";
import { CrossEncoderReranker } from "../../src/compressors/cross_encoder_reranker.js";
import { InvalidOptionError } from "../../src/errors.js";
import { RerankServerCrossEncoder } from "../../src/scorers/rerank_server_cross_encoder.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";
import { rerankEval, tinyDataset } from "../support/rerank_eval.js";

// The bar of issue 21: a table of URL and key shapes × every place the package shows something. No secret, in
// any encoding, in any of them. Secrets are long and unique so that a leak of any form is found by search.

const FULL = { showHidden: true, getters: true, depth: Infinity, showProxy: true } as const;
const fake = useFakeRerankServer();

/** A server that answers 400 with a message echoing the URL and the Authorization header in every encoding. */
let echo: Server;
let echoUrl: string;
beforeAll(async () => {
  echo = createServer((req, res) => {
    const target = req.url ?? "";
    const auth = req.headers.authorization ?? "";
    const forms = [target, decodeURIComponent(target), decodeURIComponent(target.replaceAll("+", " ")), encodeURIComponent(target)];
    forms.push(encodeURIComponent(encodeURIComponent(target)), new URLSearchParams([["u", target]]).toString(), auth);
    res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ message: `bad request: ${forms.join(" | ")}` }));
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => echo.close(resolve)));

interface Shape {
  label: string;
  /** Endpoint after the origin, or a whole URL with `{origin}` where the host goes. */
  url: (origin: string) => string;
  /** What must never show, as written (every encoding of each is searched). */
  secrets: string[];
}

const NAMES = ["api_key", "api-key", "apikey", "API_KEY", "key", "token", "access_token", "secret", "password", "auth", "sig", "code", "Code"];
const AWS = ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "X-Goog-Signature"];

const SHAPES: Shape[] = [
  { label: "userinfo", url: (o) => o.replace("://", "://adminU53r:S3cr3tPw-0199@") + "/rerank", secrets: ["adminU53r", "S3cr3tPw-0199"] },
  {
    label: "percent-encoded userinfo",
    url: (o) => o.replace("://", "://ad%40minZ:pa%2Bss%2Fw0rd-77@") + "/rerank",
    secrets: ["ad%40minZ", "pa%2Bss%2Fw0rd-77"],
  },
  ...[...NAMES, ...AWS].map((name, i) => ({
    label: `?${name}=`,
    url: (o: string) => `${o}/rerank?v=1&${name}=Val${i}-q7Zr9xKp`,
    secrets: [`Val${i}-q7Zr9xKp`],
  })),
  {
    label: "Azure SAS sig with + / = (percent-encoded)",
    url: (o) => `${o}/rerank?sv=2022-11-02&sp=r&sig=Ab%2BcD%2FeF9g%3D`,
    secrets: ["Ab%2BcD%2FeF9g%3D"],
  },
  { label: "Azure SAS sig with a raw +", url: (o) => `${o}/rerank?sv=2022-11-02&sig=Hk+mN/pQ4r=`, secrets: ["Hk+mN/pQ4r="] },
  { label: "double-encoded token", url: (o) => `${o}/rerank?token=dbl%252Benc%252Ftok9`, secrets: ["dbl%252Benc%252Ftok9"] },
  { label: "form-encoded space", url: (o) => `${o}/rerank?access_token=form+enc+tok5`, secrets: ["form+enc+tok5"] },
  { label: "repeated params", url: (o) => `${o}/rerank?token=firstTok111&token=secondTok222`, secrets: ["firstTok111", "secondTok222"] },
  { label: "percent-encoded name", url: (o) => `${o}/rerank?%73ig=EncNameSig42`, secrets: ["EncNameSig42"] },
  { label: "fragment", url: (o) => `${o}/rerank?v=1#access_token=fragTok9931`, secrets: ["fragTok9931"] },
  {
    label: "everything at once",
    url: (o) => o.replace("://", "://bob7:hunter2-xx@") + "/rerank?code=AzFn-Key-5531&X-Amz-Signature=deadbeef9931&sig=Zz%2B9%2F",
    secrets: ["bob7", "hunter2-xx", "AzFn-Key-5531", "deadbeef9931", "Zz%2B9%2F"],
  },
];

/**
 * The encodings a leak may take, computed here rather than by the module under test (which could miss one in both
 * places): as written, percent- and form-decoded, then percent-encoded once, twice and three times, form-encoded,
 * each with upper- and lower-case hex.
 */
function encodings(secret: string): string[] {
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const found = new Set<string>();
  for (const base of new Set([secret, decode(secret), decode(secret.replaceAll("+", " "))])) {
    const once = encodeURIComponent(base);
    const form = new URLSearchParams([["", base]]).toString().slice(1);
    for (const form_ of [base, once, form, encodeURIComponent(once), encodeURIComponent(encodeURIComponent(once)), encodeURIComponent(form)]) {
      found.add(form_).add(form_.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
  }
  return [...found].filter((form) => form.length >= 4);
}

/** Every encoding of every secret, searched in `texts`; the leaks found. */
function leaks(texts: string[], secrets: string[]): string[] {
  const forms = secrets.flatMap(encodings);
  return texts.flatMap((text) => forms.filter((form) => text.includes(form)).map((form) => `${form} in ${text.slice(0, 300)}`));
}

function views(value: unknown): string[] {
  const error = value as Error & { serverMessage?: string };
  return [String(value), JSON.stringify(value) ?? "", inspect(value, FULL), error?.stack ?? "", error?.message ?? "", error?.serverMessage ?? ""];
}

class EverythingRecorder extends BaseCallbackHandler {
  name = "everything-recorder";
  override awaitHandlers = true;
  events: string[] = [];
  override async handleChainStart(...args: unknown[]) {
    this.events.push(inspect(args, FULL));
  }
  override async handleChainEnd(...args: unknown[]) {
    this.events.push(inspect(args, FULL));
  }
  override async handleChainError(...args: unknown[]) {
    this.events.push(inspect(args, FULL));
  }
  override async handleCustomEvent(...args: unknown[]) {
    this.events.push(inspect(args, FULL));
  }
}

const PAIRS = [["red apples", "red apples are sweet"] as const, ["red apples", "the sky is blue"] as const];
const DOCS = PAIRS.map(([, text]) => new Document({ pageContent: text }));

describe("RerankServerCrossEncoder: no secret in any output, for every URL shape", () => {
  it.each(SHAPES)("$label: url, toJSON, inspect, cacheKey, a served call's traces", async ({ url, secrets }) => {
    const scorer = new RerankServerCrossEncoder({ url: url(fake.url).replace("/rerank", "/v2/rerank"), model: "rerank-v3.5", maxRetries: 0 });
    const recorder = new EverythingRecorder();
    const reranker = new CrossEncoderReranker({ model: scorer, topN: 2 });
    const ranked = await reranker.compressDocuments(DOCS, "red apples", [recorder]);
    expect(ranked).toHaveLength(2);
    expect(recorder.events.length).toBeGreaterThan(0);
    const shown = [scorer.url, JSON.stringify(scorer), inspect(scorer, FULL), scorer.cacheKey, inspect(reranker, FULL), ...recorder.events];
    expect(leaks(shown, secrets)).toEqual([]);
  });

  it.each(SHAPES)(
    "$label: a server echoing the URL and header in every encoding leaks nothing (message, serverMessage, traces)",
    async ({ url, secrets }) => {
      const scorer = new RerankServerCrossEncoder({ url: url(echoUrl), maxRetries: 0 });
      const recorder = new EverythingRecorder();
      const error = await new CrossEncoderReranker({ model: scorer, topN: 2 })
        .compressDocuments(DOCS, "red apples", [recorder])
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400 });
      expect((error as { serverMessage: string }).serverMessage).toMatch(/^bad request: /);
      expect(leaks([...views(error), ...recorder.events], secrets)).toEqual([]);
    },
  );

  it("a bearer apiKey echoed in every encoding is redacted too", async () => {
    const apiKey = "sk-Bearer+Key/With=Odd-77";
    const error = await new RerankServerCrossEncoder({ url: `${echoUrl}/rerank`, apiKey, maxRetries: 0 }).score([...PAIRS]).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400 });
    expect(leaks(views(error), [apiKey])).toEqual([]);
  });
});

/** A server that echoes the Authorization header as PHP's json_encode writes it (`/` as `\\/`), in JSON escapes and in base64. */
describe("a server echoing the Authorization header escaped: no secret in the error", () => {
  let php: Server;
  let phpUrl: string;
  beforeAll(async () => {
    php = createServer((req, res) => {
      const auth = req.headers.authorization ?? "";
      const [, credential = ""] = auth.split(" ");
      const decoded = auth.startsWith("Basic ") ? atob(credential) : credential;
      const unicode = [...auth].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
      const base64url = btoa(decoded).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      // The message itself holds JSON-escaped text (a body quoted in a log line): it survives JSON.parse as written.
      const message = `bad auth: ${auth} | ${decoded} | ${unicode} | ${JSON.stringify(auth).replaceAll("/", "\\/")} | ${base64url}`;
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: message }).replaceAll("/", "\\/"));
    });
    await new Promise<void>((resolve) => php.listen(0, "127.0.0.1", resolve));
    phpUrl = `http://127.0.0.1:${(php.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => php.close(resolve)));

  /** The texts in which a mark shows, as written or once JSON escapes (`\\uXXXX`, `\\/`) are undone. */
  const unescape = (text: string) =>
    text.replace(/\\+u([0-9a-fA-F]{4})/g, (_all, code: string) => String.fromCharCode(parseInt(code, 16))).replace(/\\+\//g, "/");
  const shows = (texts: string[], marks: string[]) =>
    texts.filter((text) => marks.some((mark) => text.includes(mark) || unescape(text).includes(mark)));

  it("a Bearer key with / + = (RerankServerCrossEncoder and CohereRerank)", async () => {
    const apiKey = "Az+SEKRIT14/key==";
    const server = await new RerankServerCrossEncoder({ url: `${phpUrl}/rerank`, apiKey, maxRetries: 0 }).score([...PAIRS]).catch((e: unknown) => e);
    const cohere = await new CohereRerank({ apiKey, baseUrl: phpUrl, maxRetries: 0 }).compressDocuments(DOCS, "red apples").catch((e: unknown) => e);
    for (const error of [server, cohere]) {
      expect(error).toMatchObject({ status: 401 });
      expect(String((error as { serverMessage?: string }).serverMessage)).toContain("bad auth");
      expect(shows(views(error), ["SEKRIT14", "U0VLUklU"])).toEqual([]);
    }
  });

  it("Basic credentials from the URL (the header is base64 of user:password)", async () => {
    const url = phpUrl.replace("://", "://ops-uZer9:pa55%2Fw0rd-SEKRIT@") + "/rerank";
    const error = await new RerankServerCrossEncoder({ url, maxRetries: 0 }).score([...PAIRS]).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    expect(shows(views(error), ["SEKRIT", "uZer9", btoa("ops-uZer9:pa55/w0rd-SEKRIT").slice(0, 12)])).toEqual([]);
  });
});

/** URLs that are refused at construction, each with its secrets. */
const REFUSED: Shape[] = [
  { label: "no scheme", url: () => "admin:s3cr3tZq9@proxy.internal:8443/cohere", secrets: ["s3cr3tZq9"] },
  { label: "no scheme, no port", url: () => "ops:pw-Nn81x@proxy/rerank", secrets: ["pw-Nn81x"] },
  { label: "no scheme, password with @", url: () => "ops:p@ss-Jj4w@proxy/rerank", secrets: ["p@ss-Jj4w", "ss-Jj4w"] },
  { label: "ftp scheme", url: () => "ftp://ops:ftpPw-7781@host/rerank", secrets: ["ftpPw-7781"] },
  { label: "no path", url: () => "http://ops:noPath-5512@host", secrets: ["noPath-5512"] },
  { label: "unparseable host", url: () => "http://ops:bad host-9q@exa mple/rerank", secrets: ["bad host-9q"] },
  { label: "no scheme with a token", url: () => "proxy.internal/rerank?token=bareTok-4471", secrets: ["bareTok-4471"] },
];

describe("refused URLs: the refusal quotes no secret", () => {
  it.each(REFUSED)("$label: RerankServerCrossEncoder and CohereRerank", ({ url, secrets }) => {
    const errors = [
      (() => {
        try {
          return new RerankServerCrossEncoder({ url: url("") });
        } catch (e) {
          return e;
        }
      })(),
      (() => {
        try {
          return new CohereRerank({ apiKey: "co-key-123456", baseUrl: url("") });
        } catch (e) {
          return e;
        }
      })(),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(leaks(views(error), secrets)).toEqual([]);
    }
  });

  it("RerankServerCrossEncoder refuses an apiKey a header cannot carry at construction, without echoing it", () => {
    for (const apiKey of ["sk-clé-\u4e2d\u6587-key", "sk-line\nbreak-key", "   "]) {
      let error: unknown;
      expect(() => {
        try {
          new RerankServerCrossEncoder({ url: `${fake.url}/rerank`, apiKey });
        } catch (e) {
          error = e;
          throw e;
        }
      }).toThrow(InvalidOptionError);
      expect((error as Error).message).toMatch(/apiKey/);
      if (apiKey.trim() !== "") expect(leaks(views(error), [apiKey.slice(3, 12)])).toEqual([]);
    }
  });
});

describe("rerank-eval: stderr, stdout, --json and --report hold no secret", () => {
  // The shared runner and two-document dataset of the CLI tests.
  const run = (args: string[]) => rerankEval(args);
  const dataset = tinyDataset;

  it("a served run: every secret parameter of the table and userinfo, in both --server-url and server:URL", { timeout: 60_000 }, async () => {
    const dir = dataset();
    const all = SHAPES.filter(({ label }) => label.startsWith("?") || label.includes("SAS") || label === "userinfo");
    const query = all.flatMap(({ url }) => new URL(url("http://h")).search.slice(1).split("&")).join("&");
    const url = `${fake.url.replace("://", "://adminU53r:S3cr3tPw-0199@")}/v2/rerank?${query}`;
    const secrets = all.flatMap(({ secrets }) => secrets);
    const json = join(dir, "out.json");
    const report = join(dir, "out.md");
    for (const args of [
      ["--reranker", `server:${url}`],
      ["--reranker", "server", "--server-url", url],
      ["--reranker", "server", `--server-url=${url}`],
    ]) {
      const { code, stdout, stderr } = await run([
        "--dataset",
        dir,
        ...args,
        "--server-model",
        "rerank-v3.5",
        "--json",
        json,
        "--report",
        report,
        "--quiet",
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(leaks([stdout, stderr, readFileSync(json, "utf8"), readFileSync(report, "utf8")], secrets)).toEqual([]);
    }
  });

  it.each(REFUSED)("$label as --server-url: one stderr line without the secret", { timeout: 30_000 }, async ({ url, secrets }) => {
    const { code, stdout, stderr } = await run(["--dataset", dataset(), "--reranker", "server", "--server-url", url(""), "--quiet"]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^rerank-eval: /);
    expect(leaks([stdout, stderr], secrets)).toEqual([]);
  });
});
