/**
 * The soak test's fault-injecting rerank server (scripts/fake_rerank_server.ts), in its own process so that
 * its memory and CPU are not counted as the library's. It queues a fault for a share (`--fault-rate`) of the
 * requests it receives, drawn from every fault kind, and reports its counts over IPC when asked.
 * Started by scripts/soak.ts; not meant to be run alone.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { parseArgs } from "node:util";
import { type Fault, FakeRerankServer } from "./fake_rerank_server.js";

const { values } = parseArgs({ options: { "fault-rate": { type: "string", default: "0.15" }, "timeout-ms": { type: "string", default: "1000" } } });
const faultRate = Number(values["fault-rate"]);
const timeout = Number(values["timeout-ms"]);

/** Every kind of fault, with what the client should turn it into. */
const FAULTS: Array<{ name: string; fault: Fault }> = [
  { name: "429 Retry-After: 0", fault: { status: 429, retryAfter: "0" } },
  { name: "500", fault: { status: 500 } },
  { name: "503", fault: { status: 503 } },
  { name: "slow (past the timeout)", fault: { kind: "slow", delayMs: timeout + 500 } },
  { name: "connection reset", fault: { kind: "reset" } },
  { name: "malformed JSON", fault: { kind: "malformed-json" } },
  { name: "index out of range", fault: { kind: "index-out-of-range" } },
  { name: "duplicate index", fault: { kind: "duplicate-index" } },
];

const fake = await FakeRerankServer.start({ teiMaxBatchSize: 32 });
const faultsQueued = new Map<string, number>();
let requests = 0;
let inFlight = 0;
// The fake keeps its server private; the soak needs to see requests arrive and close.
const server = (fake as unknown as { server: Server }).server;
server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
  requests += 1;
  inFlight += 1;
  res.on("close", () => (inFlight -= 1));
  // The fault for a share of requests: queued now, met by the next request the fake handles.
  if (Math.random() < faultRate) {
    const { name, fault } = FAULTS[Math.floor(Math.random() * FAULTS.length)]!;
    fake.fail(fault);
    faultsQueued.set(name, (faultsQueued.get(name) ?? 0) + 1);
  }
  // The fake records every request; a soak would grow it without bound.
  if (fake.requests.length > 1000) fake.requests.length = 0;
});

process.on("message", (message: { type: string }) => {
  if (message.type === "stats") {
    process.send!({ type: "stats", requests, inFlight, faults: Object.fromEntries(faultsQueued) });
  } else if (message.type === "close") {
    void fake.close().then(() => process.exit(0));
  }
});
process.send!({ type: "listening", url: fake.url });
