import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import { InvalidOptionError } from "../../errors.js";
import { checkFields } from "../../options.js";
import { type Corpus, type CorpusDocument, documentText } from "./beir.js";
import { DatasetError } from "./lines.js";
import { type Run, trecOrder } from "../stats/metrics.js";

export interface RunFileRetrieverInput extends BaseRetrieverInput {
  /** The run to replay (see `loadTrecRun`). */
  run: Run;
  /** Query id → text. Only queries present in the run are used to map a query text back to its id. */
  queries: ReadonlyMap<string, string>;
  /** Where candidate texts come from. Every document of a replayed query must be in it. */
  corpus: Corpus;
  /**
   * Keep the first `depth` candidates of each query (after trec_eval ordering).
   * @default all
   */
  depth?: number;
  /**
   * Builds `pageContent` from a corpus document.
   * @default title and text joined by a space
   */
  pageContent?: (doc: CorpusDocument) => string;
}

/**
 * Replays a TREC run as a LangChain retriever, so a published first stage (e.g. pyserini BM25 top-100) can be
 * reranked exactly as papers do. A query text is mapped back to its query id; candidates come back in trec_eval
 * order (score descending, ties by document id descending), with their text from the corpus and
 * `metadata: { id, retrievalScore, retrievalRank }` and `Document.id` set to the document id.
 *
 * @example
 * ```ts
 * import { type Corpus, type Run, RunFileRetriever } from "langchain-rerank/eval";
 *
 * // A run usually comes from a file (`await loadTrecRun("runs/bm25_top100.trec")`) and the rest from
 * // `loadBeirDataset(dir)`; here they are written out, so the example runs as it is.
 * const run: Run = new Map([["q1", [{ docId: "d2", score: 7.1 }, { docId: "d1", score: 3.4 }]]]);
 * const queries = new Map([["q1", "how do cells divide?"]]);
 * const corpus: Corpus = new Map([
 *   ["d1", { title: "Proteins", text: "Proteins fold." }],
 *   ["d2", { title: "Mitosis", text: "Cells divide by mitosis." }],
 * ]);
 * const retriever = new RunFileRetriever({ run, queries, corpus, depth: 100 });
 * const candidates = await retriever.invoke("how do cells divide?"); // that query's run, best first
 * console.log(candidates.map((doc) => doc.pageContent)); // [ 'Mitosis Cells divide by mitosis.', 'Proteins Proteins fold.' ]
 * ```
 */
export class RunFileRetriever extends BaseRetriever {
  static override lc_name(): string {
    return "RunFileRetriever";
  }

  lc_namespace = ["langchain_rerank", "eval", "run_file_retriever"];

  readonly #rankings = new Map<string, { docId: string; score: number }[]>();
  readonly #idsByText = new Map<string, string[]>();
  readonly #corpus: Corpus;
  readonly #pageContent: (doc: CorpusDocument) => string;

  constructor(fields: RunFileRetrieverInput) {
    super((fields = checkFields("RunFileRetriever", fields, "{ run, queries, corpus }")));
    const { run, queries, corpus, depth } = fields;
    if (depth !== undefined && (!Number.isInteger(depth) || depth < 1)) {
      throw new InvalidOptionError(`RunFileRetriever: \`depth\` must be a positive integer, got ${String(depth)}.`);
    }
    this.#corpus = corpus;
    this.#pageContent = fields.pageContent ?? documentText;
    for (const [queryId, entries] of run) {
      const text = queries.get(queryId);
      if (text === undefined) continue; // a run may hold queries of other splits
      const ordered = trecOrder(entries);
      const scores = new Map(entries.map((e) => [e.docId, e.score]));
      const kept = depth === undefined ? ordered : ordered.slice(0, depth);
      // Checked now, not when the query is replayed: an evaluation should not rerank for an hour and then stop here.
      const absent = kept.filter((docId) => !corpus.has(docId));
      if (absent.length > 0) {
        const shown = absent.slice(0, 3).join(", ") + (absent.length > 3 ? ` and ${absent.length - 3} more` : "");
        throw new DatasetError(
          `the run lists document${absent.length > 1 ? "s" : ""} ${shown} for query ${queryId}, but the corpus has no such document; pass the corpus the run was made from.`,
        );
      }
      this.#rankings.set(
        queryId,
        kept.map((docId) => ({ docId, score: scores.get(docId) as number })),
      );
      const ids = this.#idsByText.get(text);
      if (ids === undefined) this.#idsByText.set(text, [queryId]);
      else ids.push(queryId);
    }
  }

  /** The query ids this retriever can replay. */
  get queryIds(): string[] {
    return [...this.#rankings.keys()];
  }

  /** The candidates of one query id, as the retriever returns them. */
  documentsFor(queryId: string): Document[] {
    const ranking = this.#rankings.get(queryId);
    if (ranking === undefined) throw new DatasetError(`query id ${queryId} is not in the run (or not among the given queries).`);
    return ranking.map(({ docId, score }, i) => {
      const doc = this.#corpus.get(docId) as CorpusDocument; // every kept id was found in the constructor
      return new Document({ id: docId, pageContent: this.#pageContent(doc), metadata: { id: docId, retrievalScore: score, retrievalRank: i + 1 } });
    });
  }

  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    const ids = this.#idsByText.get(query);
    if (ids === undefined) {
      throw new DatasetError(
        `no query in the run has the text ${JSON.stringify(query.slice(0, 80))}; a run file retriever replays known queries only.`,
      );
    }
    if (ids.length > 1) {
      const [first, ...rest] = ids.map((id) => JSON.stringify(this.#rankings.get(id)));
      if (rest.some((r) => r !== first)) {
        throw new DatasetError(
          `queries ${ids.join(", ")} share the text ${JSON.stringify(query.slice(0, 80))} but have different runs; restrict the queries to one split.`,
        );
      }
    }
    return this.documentsFor(ids[0] as string);
  }
}
