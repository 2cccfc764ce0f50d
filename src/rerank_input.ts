import type { DocumentInterface } from "@langchain/core/documents";
import { InvalidOptionError } from "./errors.js";
import { describeValue } from "./options.js";

// What every compressor checks before it reranks or filters: the TypeScript types say Document[] and string, but
// JavaScript callers, JSON-fed pipelines and `as any` can pass anything. One check, one error class
// (InvalidOptionError, naming the argument, the index and what was got), for every compressor.

export interface RerankInputOptions {
  /**
   * Also accept plain strings as documents (CohereRerank.rerank takes them).
   * @default false
   */
  strings?: boolean;
  /**
   * Reject an empty or blank query (a reranker needs the question; a filter alone does not).
   * @default true
   */
  nonEmptyQuery?: boolean;
}

/** Checks the documents: an array whose every entry is a Document (an object with a string `pageContent`). */
export function checkDocuments(
  owner: string,
  documents: unknown,
  options: Pick<RerankInputOptions, "strings"> = {},
): asserts documents is readonly DocumentInterface[] {
  const accepted = options.strings ? "Documents or strings" : "Documents";
  if (!Array.isArray(documents))
    throw new InvalidOptionError(`${owner}: documents must be an array of ${accepted}, got ${describeValue(documents)}.`);
  // An index loop, not forEach: forEach skips the holes of a sparse array, which would then reach the scorer.
  for (let index = 0; index < documents.length; index++) {
    const document: unknown = documents[index];
    if (options.strings && typeof document === "string") continue;
    if (document === null || typeof document !== "object" || Array.isArray(document)) {
      const got = !(index in documents) ? "a hole (sparse array)" : describeValue(document);
      throw new InvalidOptionError(`${owner}: document ${index} is ${got}, not a Document; pass ${accepted} ({ pageContent, metadata }).`);
    }
    const text = (document as { pageContent?: unknown }).pageContent;
    if (typeof text !== "string") {
      throw new InvalidOptionError(
        `${owner}: document ${index} has no string pageContent (got ${text === undefined ? "none" : describeValue(text)}); pass ${accepted}.`,
      );
    }
  }
}

/** Checks the query: a string, and unless `nonEmptyQuery` is false, not blank. */
export function checkQuery(owner: string, query: unknown, options: Pick<RerankInputOptions, "nonEmptyQuery"> = {}): asserts query is string {
  if (typeof query !== "string") throw new InvalidOptionError(`${owner}: the query must be a string, got ${describeValue(query)}.`);
  if ((options.nonEmptyQuery ?? true) && query.trim().length === 0) {
    throw new InvalidOptionError(`${owner}: the query is empty; a reranker scores documents against the user's question, so pass a non-empty query.`);
  }
}

/** Both checks, documents first: what every compressor's compressDocuments / rerank starts with. */
export function checkRerankInput(owner: string, documents: unknown, query: unknown, options: RerankInputOptions = {}): void {
  checkDocuments(owner, documents, options);
  checkQuery(owner, query, options);
}
