/**
 * The word index over OpenSearch's REST API, the few calls Nerve needs: create the index
 * (once a process, by the first writer), `_bulk` to write and remove versions' words,
 * `_search` with a `match` query (BM25, OpenSearch's default similarity) that also
 * counts the documents holding each query word (filter aggregations under a global one).
 * Requests to OpenSearch Serverless ("aoss") or a domain ("es") are signed with SigV4 by
 * the AWS SDK's signer; the local engine takes them unsigned. Throttling and 5xx answers
 * are retried with backoff; anything else is an error the caller's retry (the change's
 * redelivery) handles.
 */
import { createHash } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { wordDocumentId, type WordIndex, type WordSearch, type WordVersion } from './words.js';

export interface OpenSearchOptions {
  /** https://<collection>.<region>.aoss.amazonaws.com, or the local engine's http://127.0.0.1:port */
  readonly endpoint: string;
  readonly index: string;
  /** SigV4 service name ("aoss", "es"); unsigned without one. */
  readonly signing?: string;
  readonly region?: string;
  /** Milliseconds a request may take. @default 10000 */
  readonly timeoutMs?: number;
}

/** The index's fields: the version's identity as keywords, its words as text (the standard analyzer). */
export const WORD_INDEX_MAPPINGS = {
  _source: { excludes: ['text'] },
  properties: { documentId: { type: 'keyword' }, seq: { type: 'keyword' }, text: { type: 'text' } },
} as const;

/** The search's aggregation that holds the counted words' frequencies. */
const FREQUENCIES = 'frequencies';

const ATTEMPTS = 4;

type SearchAnswer = {
  hits?: { hits?: Array<{ _score: number; _source: { documentId: string; seq: string } }> };
  aggregations?: Record<string, Record<string, { doc_count?: number }>>;
};

/**
 * Each word's frequency as a filter aggregation under a global one: counted over the whole
 * index, whatever the search's query matches.
 */
function countingAggregations(words: readonly string[]): { aggs?: object } {
  if (words.length === 0) return {};
  const counted = words.map((word, i) => [`w${i}`, { filter: { match: { text: { query: word, operator: 'and' } } } }] as const);
  return { aggs: { [FREQUENCIES]: { global: {}, aggs: Object.fromEntries(counted) } } };
}

function countsOf(out: SearchAnswer | undefined, words: readonly string[]): Map<string, number> {
  const buckets = out?.aggregations?.[FREQUENCIES] ?? {};
  return new Map(words.map((word, i) => [word, buckets[`w${i}`]?.doc_count ?? 0]));
}

/** An answer of the engine, its body read. */
interface Answer {
  readonly status: number;
  readonly ok: boolean;
  readonly text: string;
}
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export class WordIndexError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'WordIndexError';
  }
}

export class OpenSearchWords implements WordIndex {
  private readonly base: URL;
  private readonly signer?: SignatureV4;
  /**
   * The SDK's own HTTP handler on kept-alive connections, as the DynamoDB client's: a search
   * asks the engine twice, and global fetch costs the handler several times its CPU a
   * request (profiled with the local engine).
   */
  private readonly http: NodeHttpHandler;
  private indexReady?: Promise<void>;

  constructor(private readonly options: OpenSearchOptions) {
    this.base = new URL(options.endpoint);
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (options.signing) {
      if (!region) throw new WordIndexError(`signing requests to ${this.base.host} needs a region: set AWS_REGION`);
      this.signer = new SignatureV4({ service: options.signing, region, credentials: defaultProvider(), sha256: Sha256 });
    }
    this.http = new NodeHttpHandler({ connectionTimeout: options.timeoutMs ?? 10_000, requestTimeout: options.timeoutMs ?? 10_000, httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) });
  }

  async write(version: WordVersion): Promise<void> {
    await this.ensureIndex();
    const action = { index: { _index: this.options.index, _id: wordDocumentId(version.documentId, version.seq) } };
    await this.bulk([action, { documentId: version.documentId, seq: version.seq, text: version.text }]);
  }

  async remove(documentId: string, seqs: readonly string[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.bulk(seqs.map((seq) => ({ delete: { _index: this.options.index, _id: wordDocumentId(documentId, seq) } })));
  }

  async search(query: string, size: number, count: readonly string[] = []): Promise<WordSearch> {
    const out = await this.searchRequest({ size, _source: ['documentId', 'seq'], query: { match: { text: { query } } }, ...countingAggregations(count) });
    const hits = (out?.hits?.hits ?? []).map((h) => ({ documentId: h._source.documentId, seq: h._source.seq, score: h._score }));
    return count.length > 0 ? { hits, frequencies: countsOf(out, count) } : { hits };
  }

  /** One `_search`; undefined when no document was ever written (no index yet). */
  private async searchRequest(body: object): Promise<SearchAnswer | undefined> {
    const res = await this.request('POST', `/${encodeURIComponent(this.options.index)}/_search`, JSON.stringify(body));
    if (res.status === 404) return undefined;
    return this.json(res) as SearchAnswer;
  }

  /** Creates the index with its mappings unless it exists (a concurrent creator's "already exists" is success). */
  private ensureIndex(): Promise<void> {
    this.indexReady ??= (async () => {
      const path = `/${encodeURIComponent(this.options.index)}`;
      const head = await this.request('HEAD', path);
      if (head.status === 200) return;
      const res = await this.request('PUT', path, JSON.stringify({ mappings: WORD_INDEX_MAPPINGS }));
      if (res.ok) return;
      if (res.status === 400 && res.text.includes('resource_already_exists_exception')) return;
      throw new WordIndexError(`cannot create the word index ${this.options.index}: ${res.status} ${res.text.slice(0, 300)}`, res.status);
    })().catch((e) => {
      this.indexReady = undefined; // the next write tries again
      throw e;
    });
    return this.indexReady;
  }

  /** One `_bulk` request; an item's failure fails the call (a delete of a version with no words is not one). */
  private async bulk(lines: readonly object[]): Promise<void> {
    const body = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const res = await this.request('POST', '/_bulk', body, 'application/x-ndjson');
    const out = (await this.json(res)) as { errors?: boolean; items?: Array<Record<string, { status: number; error?: { type?: string; reason?: string } }>> };
    if (!out.errors) return;
    for (const item of out.items ?? []) {
      const [op, result] = Object.entries(item)[0]!;
      if (result.status < 300 || (op === 'delete' && result.status === 404)) continue;
      throw new WordIndexError(`word index ${op} failed: ${result.status} ${result.error?.type ?? ''} ${result.error?.reason ?? ''}`.trim(), result.status);
    }
  }

  private json(res: Answer): unknown {
    if (!res.ok) throw new WordIndexError(`word index answered ${res.status}: ${res.text.slice(0, 300)}`, res.status);
    return JSON.parse(res.text);
  }

  private async request(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
    const url = new URL(path, this.base);
    for (let attempt = 1; ; attempt++) {
      const headers = await this.headers(method, url, body, contentType);
      const { response } = await this.http.handle(
        new HttpRequest({ method, protocol: url.protocol, hostname: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { ...headers, host: url.host }, body }),
      );
      const res = { status: response.statusCode, ok: response.statusCode >= 200 && response.statusCode < 300, text: await bodyText(response.body) };
      if (!RETRYABLE.has(res.status) || attempt >= ATTEMPTS) return res;
      await new Promise((r) => setTimeout(r, 50 * 4 ** attempt * (0.5 + Math.random())));
    }
  }

  private async headers(method: string, url: URL, body: string | undefined, contentType: string): Promise<Record<string, string>> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': contentType };
    if (!this.signer) return headers;
    // OpenSearch Serverless wants the payload's hash as a header of its own, signed with the rest.
    const payloadHash = createHash('sha256').update(body ?? '').digest('hex');
    const request = new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host, 'x-amz-content-sha256': payloadHash },
      body,
    });
    const { host: _host, ...signed } = (await this.signer.sign(request)).headers;
    return signed;
  }
}

/** A response body as text (a HEAD answer has none). */
async function bodyText(body: AsyncIterable<Uint8Array> | undefined): Promise<string> {
  if (!body) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
