import { describe, expect, it } from "vitest";
import {
  isSecretParam,
  maskedUrl,
  maskUrlSecrets,
  redact,
  REDACTED,
  SECRET_PARAM_FRAGMENTS,
  SECRET_PARAM_NAMES,
  secretForms,
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
    expect(secretForms("q+w/e=")).toEqual(expect.arrayContaining(["q+w/e=", "q w/e=", "q%2Bw%2Fe%3D", "q%20w%2Fe%3D", "q+w%2Fe%3D"]));
  });
});
