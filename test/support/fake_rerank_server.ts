import { afterAll, afterEach, beforeAll } from "vitest";
import { FakeRerankServer, type FakeRerankServerOptions } from "../../scripts/fake_rerank_server.js";

// The fake server itself lives in scripts/ so the notebooks and examples can run it outside vitest.
export * from "../../scripts/fake_rerank_server.js";

/**
 * One fake for the calling test file: started before its tests, reset (faults, counters) after each, closed after
 * all. The returned handle forwards to the running server, so tests use it like the server itself.
 */
export function useFakeRerankServer(options: FakeRerankServerOptions = {}): FakeRerankServer {
  let server: FakeRerankServer | undefined;
  beforeAll(async () => {
    server = await FakeRerankServer.start(options);
  });
  afterEach(() => server?.reset());
  afterAll(async () => {
    await server?.close();
  });
  return new Proxy({} as FakeRerankServer, {
    get(_, property) {
      if (server === undefined) throw new Error("The fake rerank server is used before its beforeAll hook ran.");
      const value: unknown = Reflect.get(server, property, server);
      return typeof value === "function" ? value.bind(server) : value;
    },
  });
}
