/**
 * Soak test: concurrent callers rerank for minutes through the local scorer (a MiniLM-L6-shaped proxy model:
 * random weights, so speed and memory only) and through a fault-injecting rerank server, with aborts mixed in.
 * It records p50/p99 latency per window, RSS and heap after GC, lost or duplicated results, errors by kind, how
 * fast aborted calls give back their slot, and leftover timers/sockets; then prints the figures and the verdict:
 *
 *   - p99 in the last window within 1.5× of the first (local and remote each);
 *   - RSS growth after warm-up under 50 MB;
 *   - zero lost or duplicated results, zero unexpected errors, zero hung calls;
 *   - every aborted call gave back its slot (local queue, server requests), nothing left running at the end.
 *
 *   npm run soak [-- --seconds 300 --callers 8 --json soak.json]
 *
 * Needs ../shared (the proxy model is built from its real tokenizer) and `node --expose-gc` (npm run soak sets it).
 * Exits 1 when the verdict fails.
 */
import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Document } from "@langchain/core/documents";
import { HuggingFaceCrossEncoder } from "../src/huggingface.js";
import { CrossEncoderReranker, OverloadedError, RemoteRerankError, RerankError, RerankServerCrossEncoder } from "../src/index.js";
import { ensureMiniLmProxy, PROJECT_DIR } from "./proxy_models.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "300" },
    warmup: { type: "string", default: "30" },
    window: { type: "string", default: "60" },
    callers: { type: "string", default: "8" },
    docs: { type: "string", default: "20" },
    "abort-rate": { type: "string", default: "0.1" },
    "fault-rate": { type: "string", default: "0.15" },
    "max-queued-pairs": { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    json: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const WINDOW = Math.min(Number(values.window), SECONDS);
const CALLERS = Number(values.callers);
const DOCS = Number(values.docs);
const ABORT_RATE = Number(values["abort-rate"]);
const FAULT_RATE = Number(values["fault-rate"]);
const MAX_QUEUED_PAIRS = Number(values["max-queued-pairs"]);
// Generous: the local scorer's forward passes run on the main thread (onnxruntime-node runs a session
// synchronously), so a remote reply waits for the pass in progress before it is read.
const REMOTE_TIMEOUT_MS = 5000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("Run with node --expose-gc (npm run soak does): memory is measured after a full GC.");
  process.exit(2);
}

// --- Deterministic inputs: passages of 10–60 words (TREC DL-like) from a fixed vocabulary (seeded), queries of 3–8 words. ---
let state = Number(values.seed);
const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
const WORDS = (
  "the river bank money market city rain water cat dog paris france capital london science cell gene protein cancer " +
  "study patient disease health drug treatment effect learn language retrieval ranking model query document search"
).split(" ");
const words = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");
const PASSAGES = Array.from({ length: 500 }, () => words(10 + Math.floor(random() * 50)));
const QUERIES = Array.from({ length: 50 }, () => words(3 + Math.floor(random() * 6)));
let callId = 0;
function candidates(): Document[] {
  const call = callId++;
  return Array.from(
    { length: DOCS },
    (_, i) => new Document({ pageContent: PASSAGES[Math.floor(random() * PASSAGES.length)]!, metadata: { call, position: i } }),
  );
}

// --- Measurements. ---
type Kind = "local" | "remote";
interface Sample {
  kind: Kind;
  /** Seconds since the measured run started (negative during warm-up). */
  at: number;
  ms: number;
}
const samples: Sample[] = [];
const abortLatencies: number[] = [];
const counts = {
  calls: { local: 0, remote: 0 },
  ok: { local: 0, remote: 0 },
  aborted: { local: 0, remote: 0 },
  shed: 0,
  remoteFailures: {} as Record<string, number>,
  lost: 0,
  duplicated: 0,
  misordered: 0,
  slotLeaks: 0,
  unexpected: [] as string[],
};
const memory: Array<{ label: string; at: number; rssMB: number; heapMB: number }> = [];

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function measureMemory(label: string, at: number): void {
  gc!();
  gc!();
  const { rss, heapUsed } = process.memoryUsage();
  memory.push({ label, at, rssMB: rss / 2 ** 20, heapMB: heapUsed / 2 ** 20 });
}

function activeResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) out[name] = (out[name] ?? 0) + 1;
  return out;
}

// --- The server, in its own process. ---
function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(
    join(PROJECT_DIR, "scripts", "soak_server.ts"),
    ["--fault-rate", String(FAULT_RATE), "--timeout-ms", String(REMOTE_TIMEOUT_MS)],
    {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the soak server exited (${code})`)));
    child.once("message", (message: { type: string; url: string }) => resolve({ child, url: message.url }));
  });
}

function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (message) => resolve(message as T));
    child.send({ type });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const model = ensureMiniLmProxy();
  const scorer = new HuggingFaceCrossEncoder({ model, maxQueuedPairs: MAX_QUEUED_PAIRS });
  await scorer.load();
  const { child, url } = await startServer();
  const remote = new RerankServerCrossEncoder({
    url: `${url}/rerank`,
    dialect: "tei",
    batchSize: 8,
    maxConcurrency: 2,
    timeout: REMOTE_TIMEOUT_MS,
    maxRetries: 2,
    backoffBaseMs: 10,
    maxBackoffMs: 200,
  });
  const rerankers: Record<Kind, CrossEncoderReranker> = {
    local: new CrossEncoderReranker({ model: scorer, topN: DOCS }),
    remote: new CrossEncoderReranker({ model: remote, topN: DOCS }),
  };
  const resourcesBefore = activeResources();
  const load = { before: loadavg(), after: [] as number[] };

  const start = performance.now() + WARMUP * 1000;
  const end = start + SECONDS * 1000;
  const now = () => (performance.now() - start) / 1000;
  // Pairs of local calls the scorer admitted and whose result the caller has not seen yet.
  let localAdmittedPairs = 0;
  let stopping = false;

  /** Checks one successful result: every input exactly once, best first. */
  function checkResult(indices: readonly number[], scores: readonly number[]): void {
    const seen = new Array<number>(DOCS).fill(0);
    for (const index of indices) seen[index] = (seen[index] ?? 0) + 1;
    counts.lost += seen.filter((n) => n === 0).length;
    counts.duplicated += seen.filter((n) => n > 1).reduce((sum, n) => sum + n - 1, 0);
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[i - 1]!) counts.misordered += 1;
  }

  async function caller(id: number): Promise<void> {
    const kind: Kind = id % 2 === 0 ? "local" : "remote";
    while (!stopping && performance.now() < end) {
      const documents = candidates();
      const query = QUERIES[Math.floor(random() * QUERIES.length)]!;
      const controller = random() < ABORT_RATE ? new AbortController() : undefined;
      let abortedAt: number | undefined;
      // Aborts land anywhere from before the call starts scoring to well into it.
      const timer =
        controller &&
        setTimeout(() => ((abortedAt = performance.now()), controller.abort(new DOMException("soak abort", "AbortError"))), random() * 400);
      const useDocuments = controller === undefined && random() < 0.25; // compressDocuments takes no signal
      const begun = performance.now();
      counts.calls[kind] += 1;
      // rerank() reaches the scorer's admission synchronously, so the change in queuedPairs tells whether this call
      // was admitted; compressDocuments() first loads the tracer, so it is counted as admitted (the check only
      // gets weaker for it).
      const queuedBefore = scorer.queuedPairs;
      const pending = useDocuments
        ? rerankers[kind].compressDocuments(documents, query)
        : rerankers[kind].rerank(documents, query, controller ? { signal: controller.signal } : {});
      const admitted = kind === "local" && (useDocuments || scorer.queuedPairs - queuedBefore === DOCS);
      if (admitted) localAdmittedPairs += DOCS;
      try {
        if (useDocuments) {
          const out = (await pending) as Document[];
          checkResult(
            out.map((d) => (d.metadata.retrievalRank as number) - 1),
            out.map((d) => d.metadata.relevanceScore as number),
          );
        } else {
          const results = (await pending) as Awaited<ReturnType<CrossEncoderReranker["rerank"]>>;
          checkResult(
            results.map((r) => r.index),
            results.map((r) => r.relevanceScore),
          );
        }
        counts.ok[kind] += 1;
        samples.push({ kind, at: (begun - start) / 1000, ms: performance.now() - begun });
      } catch (error) {
        if (controller?.signal.aborted && (error as Error)?.name === "AbortError") {
          counts.aborted[kind] += 1;
          abortLatencies.push(performance.now() - abortedAt!);
          // Its pairs must be back already: what the scorer holds is at most what the other admitted calls brought.
          if (kind === "local" && scorer.queuedPairs > localAdmittedPairs - (admitted ? DOCS : 0)) counts.slotLeaks += 1;
        } else if (error instanceof OverloadedError) {
          counts.shed += 1;
          await sleep(200 + random() * 200); // back off, as a client of a shedding service should
        } else if (error instanceof RemoteRerankError) {
          const name = `${error.kind}${error.status !== undefined ? ` ${error.status}` : ""}`;
          counts.remoteFailures[name] = (counts.remoteFailures[name] ?? 0) + 1;
        } else {
          counts.unexpected.push(`${kind}: ${error instanceof RerankError ? "" : "(not a RerankError) "}${String(error)}`);
        }
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        if (admitted) localAdmittedPairs -= DOCS;
      }
    }
  }

  console.log(
    `Soak: ${CALLERS} callers (${Math.ceil(CALLERS / 2)} local, ${Math.floor(CALLERS / 2)} remote) for ${WARMUP} s warm-up + ${SECONDS} s, ` +
      `${DOCS} documents per call, ${ABORT_RATE * 100}% aborted, ${FAULT_RATE * 100}% of server requests faulted, maxQueuedPairs ${MAX_QUEUED_PAIRS}.`,
  );
  const callers = Array.from({ length: CALLERS }, (_, id) => caller(id));
  // Windows: memory after GC at warm-up's end and at each window boundary.
  await sleep(WARMUP * 1000);
  measureMemory("after warm-up", 0);
  for (let t = WINDOW; t < SECONDS; t += WINDOW) {
    await sleep(start + t * 1000 - performance.now());
    measureMemory(`at ${t} s`, t);
    const recent = samples.filter((s) => s.at >= t - WINDOW && s.at < t);
    const line = (["local", "remote"] as const)
      .map((k) => {
        const ms = recent.filter((s) => s.kind === k).map((s) => s.ms);
        return `${k} p50 ${percentile(ms, 50).toFixed(0)} ms p99 ${percentile(ms, 99).toFixed(0)} ms (${ms.length})`;
      })
      .join(", ");
    console.log(`  ${String(t).padStart(4)} s: ${line}, RSS ${memory.at(-1)!.rssMB.toFixed(1)} MB`);
  }
  await sleep(Math.max(0, end - performance.now()));
  stopping = true;
  let hungTimer: NodeJS.Timeout | undefined;
  const hung = await Promise.race([
    Promise.all(callers).then(() => 0),
    new Promise<number>((resolve) => (hungTimer = setTimeout(() => resolve(CALLERS), 60_000))),
  ]);
  clearTimeout(hungTimer);
  load.after = loadavg();
  await sleep(REMOTE_TIMEOUT_MS + 600); // the server's slow replies to finished or aborted requests close
  measureMemory("end", now());
  const server = await ask<{ requests: number; inFlight: number; faults: Record<string, number> }>(child, "stats");
  child.send({ type: "close" });
  await scorer.dispose();
  await sleep(200);
  const resourcesAfter = activeResources();

  // --- Figures and verdict. ---
  const windowOf = (kind: Kind, from: number, to: number) => samples.filter((s) => s.kind === kind && s.at >= from && s.at < to).map((s) => s.ms);
  const latency = Object.fromEntries(
    (["local", "remote"] as const).map((kind) => {
      const first = windowOf(kind, 0, WINDOW);
      const last = windowOf(kind, SECONDS - WINDOW, SECONDS);
      return [
        kind,
        {
          first: { p50: percentile(first, 50), p99: percentile(first, 99), calls: first.length },
          last: { p50: percentile(last, 50), p99: percentile(last, 99), calls: last.length },
        },
      ];
    }),
  ) as Record<Kind, { first: { p50: number; p99: number; calls: number }; last: { p50: number; p99: number; calls: number } }>;
  const warm = memory.find((m) => m.label === "after warm-up")!;
  const final = memory.at(-1)!;
  const leftover = Object.entries(resourcesAfter)
    .filter(([name, n]) => n > (resourcesBefore[name] ?? 0))
    .map(([name, n]) => `${name} +${n - (resourcesBefore[name] ?? 0)}`);
  const checks: Array<[string, boolean]> = [
    ...(["local", "remote"] as const).map(
      (kind) =>
        [
          `${kind} p99 last window ${latency[kind].last.p99.toFixed(0)} ms ≤ 1.5 × first ${latency[kind].first.p99.toFixed(0)} ms`,
          latency[kind].last.p99 <= 1.5 * latency[kind].first.p99,
        ] as [string, boolean],
    ),
    [`RSS growth after warm-up ${(final.rssMB - warm.rssMB).toFixed(1)} MB < 50 MB`, final.rssMB - warm.rssMB < 50],
    [
      `lost ${counts.lost}, duplicated ${counts.duplicated}, misordered ${counts.misordered}: all 0`,
      counts.lost + counts.duplicated + counts.misordered === 0,
    ],
    [`unexpected errors ${counts.unexpected.length}, hung callers ${hung}: both 0`, counts.unexpected.length === 0 && hung === 0],
    [
      `aborted calls gave back their slot (leaks ${counts.slotLeaks}); at the end queued pairs ${scorer.queuedPairs}, server requests open ${server.inFlight}`,
      counts.slotLeaks === 0 && scorer.queuedPairs === 0 && server.inFlight === 0,
    ],
    [`no timers or sockets left behind (${leftover.join(", ") || "none"})`, leftover.length === 0],
  ];
  const pass = checks.every(([, ok]) => ok);

  const report = {
    command: `npm run soak -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGB: totalmem() / 2 ** 30,
      node: process.version,
      loadavgBefore: load.before,
      loadavgAfter: load.after,
    },
    settings: {
      seconds: SECONDS,
      warmup: WARMUP,
      window: WINDOW,
      callers: CALLERS,
      docs: DOCS,
      abortRate: ABORT_RATE,
      faultRate: FAULT_RATE,
      maxQueuedPairs: MAX_QUEUED_PAIRS,
    },
    latency,
    memory,
    abortToRejectMs: { p50: percentile(abortLatencies, 50), p99: percentile(abortLatencies, 99), max: Math.max(...abortLatencies, 0) },
    counts: { ...counts, unexpected: counts.unexpected.slice(0, 20) },
    server,
    leftover,
    checks: checks.map(([what, ok]) => ({ what, ok })),
    pass,
  };
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);

  const ms = (n: number) => (Number.isNaN(n) ? "n/a" : `${n.toFixed(0)} ms`);
  console.log(
    `\nLoad average (1/5/15 min) before ${load.before.map((n) => n.toFixed(2)).join("/")}, after ${load.after.map((n) => n.toFixed(2)).join("/")} on ${cpus().length} cores.`,
  );
  console.log("Latency per successful call (first window → last window):");
  for (const kind of ["local", "remote"] as const) {
    const { first, last } = latency[kind];
    console.log(
      `  ${kind.padEnd(6)} p50 ${ms(first.p50)} → ${ms(last.p50)}, p99 ${ms(first.p99)} → ${ms(last.p99)} (${first.calls} → ${last.calls} calls)`,
    );
  }
  console.log(
    `Memory after GC: RSS ${warm.rssMB.toFixed(1)} → ${final.rssMB.toFixed(1)} MB, heap ${warm.heapMB.toFixed(1)} → ${final.heapMB.toFixed(1)} MB.`,
  );
  console.log(
    `Calls: local ${counts.calls.local} (${counts.ok.local} ok, ${counts.aborted.local} aborted), remote ${counts.calls.remote} (${counts.ok.remote} ok, ${counts.aborted.remote} aborted), ` +
      `${counts.shed} shed (OverloadedError); remote failures after retries: ${JSON.stringify(counts.remoteFailures)}.`,
  );
  console.log(
    `Abort → rejection: p50 ${ms(report.abortToRejectMs.p50)}, p99 ${ms(report.abortToRejectMs.p99)}, max ${ms(report.abortToRejectMs.max)}.`,
  );
  console.log(`Server: ${server.requests} requests, faults injected ${JSON.stringify(server.faults)}.`);
  if (counts.unexpected.length > 0) console.log(`Unexpected errors:\n  ${counts.unexpected.slice(0, 10).join("\n  ")}`);
  console.log("\nVerdict:");
  for (const [what, ok] of checks) console.log(`  ${ok ? "PASS" : "FAIL"}  ${what}`);
  console.log(pass ? "\nSOAK PASSED" : "\nSOAK FAILED");
  process.exit(pass ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
