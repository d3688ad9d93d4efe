/**
 * The full-text side of the index: every word of every document, searchable by BM25, in
 * an engine built for it (OpenSearch: Serverless on AWS, `local/word-search.ts` for
 * `npm start`), beside the DynamoDB entity index that keeps entities, filters and facets.
 * DynamoDB holds a few salient terms a document; storing every word there would cost a
 * write unit per distinct word of every version (docs/scale.md), which a search engine's
 * inverted index does not.
 *
 * A version's words are one engine document whose id names the version
 * (`<documentId>#<seq>`), written before the version's record and removed by the clean-up
 * that removes its chunks (index/writes.ts, PROTOCOL.md). A version never overwrites
 * another's words, so a late writer cannot clobber a newer version; search keeps only the
 * hits whose version is the document's record (search/words.ts), so words a dead writer
 * left behind cost a hit, never a wrong result.
 */
import { DEFAULT_WORDS_INDEX } from '../shared/contract.js';
import { ENV, readEnv } from '../shared/env.js';
import { OpenSearchWords } from './opensearch.js';

export interface WordVersion {
  readonly documentId: string;
  /** The version's fence (schema.ts fenceOf). */
  readonly seq: string;
  readonly text: string;
}

export interface WordHit {
  readonly documentId: string;
  readonly seq: string;
  /** BM25 over the document's text. */
  readonly score: number;
}

export interface WordIndex {
  /** Stores a version's words; writing the same version again is a no-op in effect. */
  write(version: WordVersion): Promise<void>;
  /** Removes versions' words; a version with none is not an error. */
  remove(documentId: string, seqs: readonly string[]): Promise<void>;
  /**
   * The best `size` documents for the query's words, best first; with `count`, in the same
   * request, for each of those words (as terms.ts makes them) the number of documents over
   * the whole index that hold it (versions not yet cleaned up count too: a frequency, not a
   * result): what search weighs words and vocabulary matches by (search/evidence.ts).
   */
  search(query: string, size: number, count?: readonly string[]): Promise<WordSearch>;
}

export interface WordSearch {
  readonly hits: WordHit[];
  /** With `count`: documents holding each counted word. */
  readonly frequencies?: Map<string, number>;
}

export const wordDocumentId = (documentId: string, seq: string) => `${documentId}#${seq}`;

/** The engine the environment names (ENV.wordsEndpoint), or undefined where there is none. */
export function wordIndexFromEnv(): WordIndex | undefined {
  const endpoint = process.env[ENV.wordsEndpoint];
  if (!endpoint) return undefined;
  const signing = readEnv(ENV.wordsSigning, 'aoss');
  return new OpenSearchWords({ endpoint, index: readEnv(ENV.wordsIndex, DEFAULT_WORDS_INDEX), signing: signing === 'none' ? undefined : signing });
}
