import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import { checkFields, checkPositiveInteger } from "../options.js";
import { checkDocuments } from "../rerank_input.js";
import { Bm25Index, type Bm25Options } from "./bm25_index.js";

const OWNER = "OkapiBm25Retriever";

export interface OkapiBm25RetrieverInput extends BaseRetrieverInput, Bm25Options {
  /** The documents to index and search. */
  documents: readonly DocumentInterface[];
  /**
   * How many documents to return.
   * @default 100 (the usual reranking depth)
   */
  k?: number;
}

/**
 * A BM25 first stage as a LangChain retriever (an inverted index built once; each query touches only the
 * postings of its terms). `@langchain/community`'s BM25Retriever splits on whitespace only, keeps stop words and
 * punctuation ("cells." ≠ "cells") and rescans the whole corpus per query; this one does not.
 * Returned documents are copies with `metadata.retrievalScore` and `metadata.retrievalRank` added.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { OkapiBm25Retriever } from "langchain-rerank/bm25"; // also exported by langchain-rerank/eval
 *
 * const retriever = OkapiBm25Retriever.fromDocuments([new Document({ pageContent: "Cells divide by mitosis." })], { k: 50 });
 * const candidates = await retriever.invoke("how do cells divide?");
 * ```
 */
export class OkapiBm25Retriever extends BaseRetriever {
  static override lc_name(): string {
    return "OkapiBm25Retriever";
  }

  lc_namespace = ["langchain_rerank", "eval", "bm25_retriever"];

  k: number;
  readonly #documents: readonly DocumentInterface[];
  readonly #index: Bm25Index;

  constructor(fields: OkapiBm25RetrieverInput) {
    super((fields = checkFields(OWNER, fields, "{ documents, k: 10 }")));
    // Strings are named here (Bm25Index takes them), rather than failing inside the tokenizer.
    checkDocuments(OWNER, fields.documents);
    this.k = checkPositiveInteger(OWNER, "k", fields.k) ?? 100;
    this.#documents = fields.documents;
    this.#index = new Bm25Index(
      fields.documents.map((d) => d.pageContent),
      fields,
    );
  }

  static fromDocuments(documents: readonly DocumentInterface[], options: Omit<OkapiBm25RetrieverInput, "documents"> = {}): OkapiBm25Retriever {
    return new this({ ...checkFields(`${OWNER}.fromDocuments`, options, "{ k: 10 }"), documents });
  }

  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    return this.#index.search(query, this.k).map(({ index, score }, i) => {
      const doc = this.#documents[index] as DocumentInterface;
      return new Document({
        pageContent: doc.pageContent,
        metadata: { ...doc.metadata, retrievalScore: score, retrievalRank: i + 1 },
        ...(doc.id !== undefined ? { id: doc.id } : {}),
      });
    });
  }
}
