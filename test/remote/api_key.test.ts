import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { checkApiKey } from "../../src/remote/api_key.js";

describe("checkApiKey", () => {
  it("trims a key; undefined stays undefined", () => {
    expect(checkApiKey("T", "  sk-123  ")).toBe("sk-123");
    expect(checkApiKey("T", undefined)).toBeUndefined();
  });

  it.each([
    ["", /`apiKey` must be a non-empty string, got blank text/],
    [null, /got null/],
    [42, /got a number/],
    ["sk-line\nbreak", /control or non-Latin-1 character/],
    ["sk-clé-\u4e2d\u6587", /control or non-Latin-1 character/],
  ])("refuses %j without echoing it", (value, message) => {
    expect(() => checkApiKey("T", value)).toThrow(InvalidOptionError);
    expect(() => checkApiKey("T", value)).toThrow(message);
    if (typeof value === "string" && value.length > 6) expect(() => checkApiKey("T", value)).not.toThrow(value.slice(3));
  });

  it("names where the key came from", () => {
    expect(() => checkApiKey("T", " ", "the COHERE_API_KEY variable")).toThrow(/T: the COHERE_API_KEY variable must be/);
  });
});
