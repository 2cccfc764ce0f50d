import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Document } from "@langchain/core/documents";
import { ChatOpenAI } from "@langchain/openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LLMListwiseReranker } from "../../src/index.js";

// A real provider class (ChatOpenAI, with its own withStructuredOutput) against a local stand-in for the OpenAI
// Chat Completions API, so the reranker is checked against what a provider package actually sends and parses:
// `jsonSchema` structured output (the default for current models) and tool calling (older models).

type ChatBody = {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { name: string; schema: Record<string, unknown> } };
  tools?: { type: string; function: { name: string; parameters: Record<string, unknown> } }[];
};
/** What the stand-in answers: a message's content, a tool call's raw arguments, an HTTP error, or nothing at all. */
type Reply = { content: string } | { toolArguments: string } | { status: number } | "hang";

let server: Server;
let baseURL: string;
const requests: ChatBody[] = [];
let reply: (body: ChatBody, call: number) => Reply;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      const body = JSON.parse(raw) as ChatBody;
      const answer = reply(body, requests.push(body) - 1);
      if (answer === "hang") return;
      if ("status" in answer) {
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "The server had an error while processing your request.", type: "server_error" } }));
        return;
      }
      const message =
        "content" in answer
          ? { role: "assistant", content: answer.content, refusal: null }
          : {
              role: "assistant",
              content: null,
              tool_calls: [{ id: "call_1", type: "function", function: { name: body.tools![0]!.function.name, arguments: answer.toolArguments } }],
            };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [{ index: 0, message, finish_reason: "content" in answer ? "stop" : "tool_calls", logprobs: null }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  requests.length = 0;
});

function chat(model = "gpt-4o-mini"): ChatOpenAI {
  return new ChatOpenAI({ model, apiKey: "sk-test-not-a-key", temperature: 0, maxRetries: 0, configuration: { baseURL } });
}

/** The ids of a request's documents sorted by the number in their text, largest first (what a perfect model answers). */
function sortedIds(body: ChatBody): number[] {
  const system = body.messages[0]!.content;
  return [...system.matchAll(/Document ID: (\d+)\n```[^`]*?(\d+)```/g)]
    .map((m) => ({ id: Number(m[1]), n: Number(m[2]) }))
    .sort((a, b) => b.n - a.n)
    .map(({ id }) => id);
}

const numbered = (values: number[]) => values.map((n, i) => new Document({ pageContent: `passage number ${n}`, metadata: { i } }));
const VALUES = [4, 17, 9, 23, 1, 12, 20, 6, 15, 2, 25, 11, 8, 19, 3, 22, 14, 5, 24, 10, 7, 18, 13, 21, 16];

describe("LLMListwiseReranker with ChatOpenAI", () => {
  it("asks through a json_schema response format named RankDocuments and ranks 25 documents in two windows", async () => {
    reply = (body) => ({ content: JSON.stringify({ ranked_document_ids: sortedIds(body) }) });
    const out = await new LLMListwiseReranker({ llm: chat() }).compressDocuments(numbered(VALUES), "largest number");
    expect(out.map((d) => d.pageContent)).toEqual(["passage number 25", "passage number 24", "passage number 23"]);
    expect(out.map((d) => d.metadata.retrievalRank)).toEqual([25, 24, 23].map((n) => VALUES.indexOf(n) + 1));
    expect(requests).toHaveLength(2);
    expect(requests.map((body) => sortedIds(body).length)).toEqual([20, 15]);
    const format = requests[0]!.response_format!;
    expect(format.type).toBe("json_schema");
    expect(format.json_schema).toMatchObject({ name: "RankDocuments", schema: { required: ["ranked_document_ids"] } });
    expect(requests[0]!.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(requests[0]!.messages[1]!.content).toBe("largest number");
  });

  it("retries once when the content is not JSON, then falls back to the window's order", async () => {
    reply = (body, call) =>
      call === 0 ? { content: "Here is the ranking you asked for:" } : { content: JSON.stringify({ ranked_document_ids: sortedIds(body) }) };
    const reranker = new LLMListwiseReranker({ llm: chat() });
    const ranking = await reranker.rank(numbered([1, 3, 2]), "largest number");
    expect(requests).toHaveLength(2);
    expect(ranking.order).toEqual([1, 2, 0]);
    expect(ranking.windows[0]).toMatchObject({ attempts: 2, outcome: "ranked" });

    requests.length = 0;
    reply = () => ({ content: "I cannot help with that." });
    const fallback = await reranker.rank(numbered([1, 3, 2]), "largest number");
    expect(requests).toHaveLength(2);
    expect(fallback.order).toEqual([0, 1, 2]);
    expect(fallback.windows[0]).toMatchObject({ attempts: 2, outcome: "fallback" });
  });

  it("uses tool calling for an older model, and retries after tool arguments that are not JSON", async () => {
    reply = (body, call) =>
      call === 0 ? { toolArguments: "{ranked_document_ids: [1," } : { toolArguments: JSON.stringify({ ranked_document_ids: sortedIds(body) }) };
    const ranking = await new LLMListwiseReranker({ llm: chat("gpt-4-0613") }).rank(numbered([1, 3, 2]), "largest number");
    expect(requests[0]!.tools![0]!.function.name).toBe("RankDocuments");
    expect(requests).toHaveLength(2);
    expect(ranking.order).toEqual([1, 2, 0]);
  });

  it("throws an HTTP error of the provider instead of falling back", async () => {
    reply = () => ({ status: 500 });
    await expect(new LLMListwiseReranker({ llm: chat() }).compressDocuments(numbered([1, 3, 2]), "largest number")).rejects.toThrow(
      /500|server had an error/,
    );
    expect(requests).toHaveLength(1);
  });

  it("abandons a hanging request when the signal aborts", async () => {
    const controller = new AbortController();
    reply = () => {
      controller.abort();
      return "hang";
    };
    await expect(new LLMListwiseReranker({ llm: chat() }).rank(numbered([1, 3, 2]), "largest number", { signal: controller.signal })).rejects.toThrow(
      /abort/i,
    );
    expect(requests).toHaveLength(1);
  });
});
