import { describe, expect, it } from "vitest";
import { createPrng } from "../../src/eval/stats/prng.js";
import {
  isSecretParam,
  maskedUrl,
  maskUrlSecrets,
  redact,
  REDACTED,
  SECRET_PARAM_FRAGMENTS,
  SECRET_PARAM_NAMES,
  URL_MASK,
  urlSecrets,
} from "../../src/remote/secrets.js";

describe("secret query parameter names", () => {
  it.each([
    "api_key",
    "api-key",
    "apikey",
    "API_KEY",
    "key",
    "subscription-key",
    "token",
    "access_token",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "auth",
    "Authorization",
    "sig",
    "SIG",
    "Signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "X-Goog-Signature",
    "X-Goog-Credential",
    "code",
    "Code",
    "jwt",
    "%73ig",
    "api%5Fkey",
  ])("%s is secret", (name) => expect(isSecretParam(name)).toBe(true));

  it.each(["v", "region", "model", "api-version", "sv", "se", "sp", "X-Amz-Date", "X-Amz-Expires", "encode", "bypass", "top_n"])(
    "%s is not",
    (name) => expect(isSecretParam(name)).toBe(false),
  );

  it("has one list, exported for the docs to quote", () => {
    expect(SECRET_PARAM_FRAGMENTS).toEqual(["key", "token", "secret", "passw", "auth", "sig", "credential", "jwt"]);
    expect(SECRET_PARAM_NAMES).toEqual(["code", "pwd", "pass"]);
  });
});

describe("maskedUrl", () => {
  it("masks userinfo and secret values in the query and the fragment, keeping the other parameters as written", () => {
    const url = new URL("https://us%40er:p%2Bw@[::1]:8443/r?sv=2022-11-02&sig=ab%2Bc%2Fd%3D&Code=zz&sig=two&x=a%20b#access_token=t0k&state=s");
    expect(maskedUrl(url)).toBe(
      `https://${URL_MASK}:${URL_MASK}@[::1]:8443/r?sv=2022-11-02&sig=***&Code=***&sig=***&x=a%20b#access_token=***&state=s`,
    );
    expect(urlSecrets(url)).toEqual(["us%40er", "p%2Bw", "ab%2Bc%2Fd%3D", "zz", "two", "t0k"]);
  });

  it("leaves a URL without secrets as the URL parser writes it", () => {
    expect(maskedUrl(new URL("http://localhost:8080/rerank?v=1"))).toBe("http://localhost:8080/rerank?v=1");
  });
});

describe("maskUrlSecrets (text)", () => {
  it.each([
    ["admin:s3cr3t@proxy.internal:8443/cohere", "***@proxy.internal:8443/cohere"],
    ["--server-url=admin:s3cr3t@proxy/x", "--server-url=***@proxy/x"],
    ["server:http://bob:hunter2@127.0.0.1:9/rerank?api_key=QKEY&v=1", "server:http://***@127.0.0.1:9/rerank?api_key=***&v=1"],
    ["http://u:p x@exa mple/rerank?code=abc%2Bdef#access_token=zz", "http://***@exa mple/rerank?code=***#access_token=***"],
    [
      "https://h/x?X-Amz-Signature=abc&X-Amz-Credential=AKIA%2F2024&foo=1&SIG=q+w/e=",
      "https://h/x?X-Amz-Signature=***&X-Amz-Credential=***&foo=1&SIG=***",
    ],
    ['got "ftp://u:p@h" and u2:p2@h2', 'got "ftp://***@h" and ***@h2'],
  ])("%s → %s", (text, masked) => expect(maskUrlSecrets(text)).toBe(masked));

  it("leaves text with an @ but no userinfo alone (metrics, model revisions) and is idempotent", () => {
    for (const text of ["ndcg@10,recall@5", "Xenova/ms-marco@main", "mail bob@example.com", "http://***@h/x?token=***"]) {
      expect(maskUrlSecrets(text)).toBe(text);
    }
  });
});

describe("redact", () => {
  it("redacts every secret, short ones only where they stand alone, the longest first", () => {
    expect(redact("key sk-12345 and sk-12345 again", ["sk-12345"])).toBe(`key ${REDACTED} and ${REDACTED} again`);
    expect(redact("user bob, password pw1 (bobby, xpw12)", ["bob", "pw1"])).toBe(`user ${REDACTED}, password ${REDACTED} (bobby, xpw12)`);
    expect(redact("a.b a.b? x", ["a.b", "?"])).toBe(`${REDACTED} ${REDACTED}${REDACTED} x`);
    expect(redact("token sk-ab", ["sk", "sk-ab"])).toBe(`token ${REDACTED}`);
  });

  it("finds a secret in every encoding a server may echo: raw, decoded, percent-, form- and double-encoded, either hex case", () => {
    const raw = "ab%2Bc%2Fd%3D e"; // as written in a URL: the SAS signature "ab+c/d= e"
    const echoes = ["ab%2Bc%2Fd%3D e", "ab+c/d= e", "ab%2Bc%2Fd%3D%20e", "ab%2Bc%2Fd%3D+e", "ab%252Bc%252Fd%253D%2520e", "ab%2bc%2fd%3d%20e"];
    for (const echo of echoes) expect(redact(`server saw <${echo}>`, [raw])).toBe(`server saw <${REDACTED}>`);
    // A raw `+` in a query is a space to a form decoder and a plus to a percent decoder: both are secret.
    for (const echo of ["q+w/e=", "q w/e=", "q%2Bw%2Fe%3D", "q%20w%2Fe%3D", "q+w%2Fe%3D"])
      expect(redact(`<${echo}>`, ["q+w/e="])).toBe(`<${REDACTED}>`);
  });

  it("finds a secret JSON-escaped: PHP's json_encode `\\/`, `\\uXXXX` for any character in either hex case, doubled backslashes", () => {
    const key = "Az+SEKRIT14/key==";
    const u = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    const echoes = [
      "Az+SEKRIT14\\/key==", // PHP json_encode
      "Az+SEKRIT14\\\\/key==", // that, inside another JSON string
      [...key].map(u).join(""), // every character escaped
      [...key].map((c) => u(c).toUpperCase().replace("\\U", "\\u")).join(""), // upper-case hex
      "Az\\u002bSEKRIT14\\u002Fkey\\u003d=", // some characters escaped, mixed case
      "Az%2BSEKRIT14\\/key%3d%3D", // percent-encoding and JSON escapes mixed
    ];
    for (const echo of echoes)
      expect(redact(`{"message":"bad auth: Bearer ${echo}"}`, [key]), echo).toBe(`{"message":"bad auth: Bearer ${REDACTED}"}`);
    // Quotes, backslashes, control characters and characters beyond the BMP, in their JSON escapes.
    const odd = 'p"w\\d\t😀-77';
    expect(redact(JSON.stringify({ echo: odd }), [odd])).toBe(`{"echo":"${REDACTED}"}`);
    expect(redact(JSON.stringify({ echo: odd }).replace("😀", "\\ud83d\\ude00"), [odd])).toBe(`{"echo":"${REDACTED}"}`);
  });

  it("finds a secret in base64 and base64url: a Basic credential of user:password, escaped or not", () => {
    const basic = btoa("ops-user:pa+ss/w0rd?~~");
    const url = basic.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const echoes = [
      `Basic ${basic}`,
      `Basic ${basic.replaceAll("/", "\\/")}`,
      `Basic ${encodeURIComponent(basic)}`,
      `Basic ${url}`,
      `Basic ${basic.replace("=", "\\u003d")}`,
    ];
    for (const echo of echoes) {
      // The password alone is the secret (CohereRerank knows the URL's user and password, not the header).
      expect(redact(`got "${echo}"`, ["pa+ss/w0rd?~~"]), echo).toBe(`got "Basic ${REDACTED}"`);
      expect(redact(`got "${echo}"`, ["ops-user"]), echo).toBe(`got "Basic ${REDACTED}"`);
    }
    // A bearer key echoed base64-encoded.
    expect(redact(`x-echo: ${btoa("sk-live-8812ab")}`, ["sk-live-8812ab"])).toBe(`x-echo: ${REDACTED}`);
  });

  it("leaves text that holds no secret as it is: words, base64 of other text, JSON escapes of other characters", () => {
    const text = `bad request: field \\/documents missing (${btoa("unrelated:value")}) %2Fpath ndcg@10 a+b`;
    expect(redact(text, ["sk-live-8812ab", "pw1"])).toBe(text);
    expect(redact(text, [])).toBe(text);
  });

  it("redacts random secrets under random mixes of every escaping (seeded)", () => {
    const random = createPrng(27);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const alphabet = [..."abcXYZ019+/=-_.~!*'() :@&?#%\"é€😀"];
    const escape = (c: string): string => {
      const bytes = [...new TextEncoder().encode(c)].map((b) => b.toString(16).padStart(2, "0"));
      const options = [
        c,
        [...Array.from({ length: c.length }, (_, i) => c.charCodeAt(i))].map((unit) => `\\u${unit.toString(16).padStart(4, "0")}`).join(""),
        bytes.map((b) => `%${b}`).join(""),
        bytes.map((b) => `%${b.toUpperCase()}`).join(""),
        bytes.map((b) => `%25${b}`).join(""),
      ];
      if (c === "/") options.push("\\/");
      if (c === " ") options.push("+");
      return pick(options);
    };
    for (let i = 0; i < 300; i++) {
      const secret = `K${Array.from({ length: 6 + Math.floor(random() * 10) }, () => pick(alphabet)).join("")}9`;
      const echoed = [...secret].map(escape).join("");
      expect(redact(`echo [${echoed}] end`, [secret]), `${secret} as ${echoed}`).toBe(`echo [${REDACTED}] end`);
    }
  });
});
