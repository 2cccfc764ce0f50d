import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { BasePromptTemplate } from "@langchain/core/prompts";
import { InvalidOptionError } from "../errors.js";
import { IDS_KEY } from "./listwise_windows.js";

// What the listwise model is shown and asked for: the prompt's input, the default prompt and the answer's schema.

/** What a prompt receives for one window: the query, the window's documents with the ids the model must answer with, and the context block the default prompt uses. */
export interface ListwisePromptInput {
  /** The query the documents are ranked for. */
  query: string;
  /** The window's documents, in their current order; `id` is what the model answers with (0-based within the window). */
  documents: { id: number; text: string }[];
  /** The documents formatted as the default prompt shows them (`Document ID: 0` and the text in a fenced block, …). */
  context: string;
}

/** A prompt as a function: returns the chat model's input (messages, a string, or a prompt value) for one window. */
export type ListwisePromptFunction = (input: ListwisePromptInput) => BaseLanguageModelInput | Promise<BaseLanguageModelInput>;

// A plain JSON schema, not zod: zod is @langchain/core's dependency, not ours, and every chat model's
// withStructuredOutput accepts a JSON schema. The answer is validated here whatever the provider enforced.
export const RANK_DOCUMENTS_SCHEMA = {
  type: "object",
  description: "Rank the documents by their relevance to the query.",
  properties: {
    [IDS_KEY]: {
      type: "array",
      items: { type: "integer" },
      description: "The integer IDs of all the documents, sorted from most to least relevant to the query.",
    },
  },
  required: [IDS_KEY],
  additionalProperties: false,
} as const;

const DEFAULT_SYSTEM_TEMPLATE = "{context}\n\nSort the Documents by their relevance to the Query.";

let defaultPrompt: Promise<BasePromptTemplate> | undefined;
/** Python LangChain's prompt for `LLMListwiseRerank`, built on first use. */
export function loadDefaultPrompt(): Promise<BasePromptTemplate> {
  return (defaultPrompt ??= import("@langchain/core/prompts").then(({ ChatPromptTemplate }) =>
    ChatPromptTemplate.fromMessages([
      ["system", DEFAULT_SYSTEM_TEMPLATE],
      ["human", "{query}"],
    ]),
  ));
}

/** A window's documents as the default prompt shows them: each id and text, then the list of ids. */
export function formatContext(documents: readonly { id: number; text: string }[]): string {
  const blocks = documents.map(({ id, text }) => `Document ID: ${id}\n\`\`\`${text}\`\`\`\n\n`);
  return `${blocks.join("")}Documents = [Document ID: 0, ..., Document ID: ${documents.length - 1}]`;
}

export function isPromptTemplate(prompt: unknown): prompt is BasePromptTemplate {
  return typeof prompt === "object" && prompt !== null && typeof (prompt as { invoke?: unknown }).invoke === "function";
}

/** Checks the `prompt` option: a template that uses {context} (and at most {query}), or a function. */
export function checkPrompt(
  owner: string,
  prompt: BasePromptTemplate | ListwisePromptFunction | undefined,
): BasePromptTemplate | ListwisePromptFunction | undefined {
  if (prompt !== undefined && !isPromptTemplate(prompt) && typeof prompt !== "function") {
    throw new InvalidOptionError(
      `${owner}: \`prompt\` must be a prompt template (e.g. ChatPromptTemplate) or a function returning the model's input.`,
    );
  }
  if (isPromptTemplate(prompt) && Array.isArray(prompt.inputVariables)) {
    const variables = prompt.inputVariables as string[];
    const unknown = variables.filter((name) => name !== "context" && name !== "query");
    if (!variables.includes("context") || unknown.length > 0) {
      throw new InvalidOptionError(
        `${owner}: a \`prompt\` template is filled with {context} (the documents and their ids) and {query}; it must use {context}` +
          `${unknown.length > 0 ? ` and nothing else, but it also expects ${unknown.map((name) => `{${name}}`).join(", ")}` : ""} (partial() fills other variables).`,
      );
    }
  }
  return prompt;
}
