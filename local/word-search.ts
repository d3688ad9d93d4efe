/**
 * The local stack's full-text engine: the part of OpenSearch's REST API that
 * lambdas/words/opensearch.ts calls, over MiniSearch's BM25, bound to 127.0.0.1. So the
 * same client code runs against it here and against OpenSearch Serverless on AWS.
 *
 *   HEAD /<index>            200, or 404 with no index
 *   PUT  /<index>            creates it (400 resource_already_exists_exception if it is there)
 *   POST /_bulk              NDJSON `index` (with `_id` and a source line) and `delete` actions;
 *                            an index action creates a missing index, as OpenSearch does
 *   POST /<index>/_search    `{ size, query: { match: { text: { query } } }, aggs }`: hits by BM25,
 *                            and `global` and `filter` (match) aggregations' doc counts;
 *                            `{ size: 0, query: { match_none: {} }, aggs }`: the counts alone;
 *                            `{ size, query: { match_all: {} } }`: every document, by id
 *
 * With a folder, every write is appended to a log there before it is answered and the log
 * is replayed (and compacted) at start, so the words survive a crash or Ctrl-C as the
 * tables and buckets do. Answers mirror OpenSearch's shapes, errors included.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import MiniSearch from 'minisearch';

interface StoredDocument {
  readonly id: string;
  readonly source: Record<string, unknown>;
}

type LogEntry = { op: 'create'; index: string } | { op: 'index'; index: string; id: string; source: Record<string, unknown> } | { op: 'delete'; index: string; id: string };

/**
 * Words as OpenSearch's standard analyzer cuts them: Unicode word boundaries (UAX #29, so
 * "U.S." is one word and "don't" another), lower-cased.
 */
const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
const standardWords = (text: string): string[] => {
  const words: string[] = [];
  for (const s of segmenter.segment(text)) if (s.isWordLike) words.push(s.segment);
  return words;
};

/** One index: its documents' sources (what `_source` answers) and the BM25 index of their text. */
class WordIndexState {
  readonly sources = new Map<string, Record<string, unknown>>();
  /** Documents holding each term, kept as they come and go: what a one-word `filter` counts over the index. */
  private readonly holding = new Map<string, number>();
  /** The words of the text being added, so that MiniSearch does not cut them a second time. */
  private adding?: { text: string; words: string[] };
  readonly search = new MiniSearch<StoredDocument>({
    idField: 'id',
    fields: ['text'],
    extractField: (doc, field) => (field === 'id' ? doc.id : textOf(doc.source)),
    tokenize: (text) => (this.adding?.text === text ? this.adding.words : standardWords(text)),
    searchOptions: { tokenize: standardWords },
  });

  put(id: string, source: Record<string, unknown>): 'created' | 'updated' {
    const existed = this.delete(id);
    const text = textOf(source);
    this.adding = { text, words: standardWords(text) };
    this.sources.set(id, source);
    this.search.add({ id, source });
    this.count(this.adding.words, +1);
    this.adding = undefined;
    return existed ? 'updated' : 'created';
  }

  delete(id: string): boolean {
    const source = this.sources.get(id);
    if (!source) return false;
    this.sources.delete(id);
    this.search.discard(id);
    this.count(standardWords(textOf(source)), -1);
    return true;
  }

  /** How many documents hold every word of `text`, where that is one term (else undefined: search for them). */
  holdingOne(text: string): number | undefined {
    const terms = new Set(standardWords(text).map(termOf));
    if (terms.size > 1) return undefined;
    const [term] = terms;
    return term === undefined ? 0 : (this.holding.get(term) ?? 0);
  }

  private count(words: readonly string[], delta: 1 | -1): void {
    for (const term of new Set(words.map(termOf))) {
      const n = (this.holding.get(term) ?? 0) + delta;
      if (n > 0) this.holding.set(term, n);
      else this.holding.delete(term);
    }
  }
}

const textOf = (source: Record<string, unknown>) => String(source.text ?? '');
/** A word as MiniSearch indexes it (its default processTerm). */
const termOf = (word: string) => word.toLowerCase();

export interface WordSearchServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 100 * 1024 * 1024;

export async function startWordSearch({ dir }: { dir?: string } = {}): Promise<WordSearchServer> {
  const indexes = new Map<string, WordIndexState>();
  const logPath = dir ? join(dir, 'words.log') : undefined;
  const apply = (entry: LogEntry) => {
    if (entry.op === 'create') return void (indexes.has(entry.index) || indexes.set(entry.index, new WordIndexState()));
    let state = indexes.get(entry.index);
    if (!state) indexes.set(entry.index, (state = new WordIndexState()));
    return entry.op === 'index' ? state.put(entry.id, entry.source) : state.delete(entry.id);
  };
  if (logPath) {
    mkdirSync(dir!, { recursive: true });
    if (existsSync(logPath)) replay(logPath, apply);
    compact(logPath, indexes);
  }
  // One descriptor for the log's life (an open per write was a measurable part of bench:batch).
  const log = logPath ? openSync(logPath, 'a') : undefined;
  const record = (entry: LogEntry) => {
    if (log !== undefined) {
      const line = Buffer.from(JSON.stringify(entry) + '\n');
      for (let at = 0; at < line.length; ) at += writeSync(log, line, at);
    }
    return apply(entry);
  };

  const server = createServer((req, res) => {
    handle(req, res, indexes, record).catch((e: Error) => send(res, 500, { error: { type: 'exception', reason: e.message }, status: 500 }));
  });
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => {
        if (log !== undefined) closeSync(log);
        resolve();
      });
      server.closeAllConnections();
    }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, indexes: Map<string, WordIndexState>, record: (e: LogEntry) => unknown): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, { error: { type: 'content_too_long_exception', reason: `request body over ${MAX_BODY_BYTES} bytes` }, status: 413 });
  const missing = (index: string) => send(res, 404, { error: { type: 'index_not_found_exception', reason: `no such index [${index}]`, index }, status: 404 });

  if (parts.length === 1 && parts[0] === '_bulk' && req.method === 'POST') {
    try {
      return send(res, 200, bulk(body, record));
    } catch (e) {
      return send(res, 400, { error: { type: 'parsing_exception', reason: `malformed bulk request: ${(e as Error).message}` }, status: 400 });
    }
  }
  if (parts.length === 1 && req.method === 'HEAD') return void res.writeHead(indexes.has(parts[0]!) ? 200 : 404).end();
  if (parts.length === 1 && req.method === 'PUT') {
    if (indexes.has(parts[0]!)) return send(res, 400, { error: { type: 'resource_already_exists_exception', reason: `index [${parts[0]}] already exists`, index: parts[0] }, status: 400 });
    record({ op: 'create', index: parts[0]! });
    return send(res, 200, { acknowledged: true, index: parts[0] });
  }
  if (parts.length === 2 && parts[1] === '_search' && (req.method === 'POST' || req.method === 'GET')) {
    const state = indexes.get(parts[0]!);
    if (!state) return missing(parts[0]!);
    let query: string;
    let size: number;
    let aggs: Aggregations | undefined;
    try {
      const parsed = JSON.parse(body || '{}') as { size?: number; query?: { match?: MatchText; match_all?: object; match_none?: object }; aggs?: Aggregations };
      if (parsed.query?.match_all) {
        const all = [...state.sources.keys()].sort().slice(0, parsed.size ?? 10);
        return send(res, 200, { hits: { total: { value: state.sources.size, relation: 'eq' }, hits: all.map((id) => ({ _index: parts[0], _id: id, _score: 1, _source: pick(state.sources.get(id)!, ['documentId', 'seq']) })) } });
      }
      query = parsed.query?.match_none ? '' : matchQuery(parsed.query?.match);
      size = parsed.size ?? 10;
      aggs = parsed.aggs;
      if (!Number.isInteger(size) || size < 0) throw new Error('size must be a non-negative integer');
    } catch (e) {
      return send(res, 400, { error: { type: 'parsing_exception', reason: (e as Error).message }, status: 400 });
    }
    // match_none, or a query with no words, matches nothing (as OpenSearch's match does): no search to run.
    const matched = query === '' ? [] : state.search.search(query, { combineWith: 'OR' });
    let aggregations;
    try {
      aggregations = aggs && aggregate(state, aggs, once(() => new Set(matched.map((h) => h.id as string))));
    } catch (e) {
      return send(res, 400, { error: { type: 'illegal_argument_exception', reason: (e as Error).message }, status: 400 });
    }
    const hits = matched.slice(0, size);
    return send(res, 200, {
      hits: {
        total: { value: matched.length, relation: 'eq' },
        hits: hits.map((h) => ({ _index: parts[0], _id: h.id, _score: h.score, _source: pick(state.sources.get(h.id as string) ?? {}, ['documentId', 'seq']) })),
      },
      ...(aggregations ? { aggregations } : {}),
    });
  }
  return send(res, 400, { error: { type: 'illegal_argument_exception', reason: `${req.method} ${url.pathname} is not something this engine answers` }, status: 400 });
}

type MatchText = { text?: { query?: unknown; operator?: unknown } | string };
interface Aggregation {
  readonly global?: object;
  readonly filter?: { match?: MatchText };
  readonly aggs?: Aggregations;
}
type Aggregations = Record<string, Aggregation>;

/** A `match` query's text: `{ text: "…" }` or `{ text: { query: "…" } }`. */
function matchQuery(match: MatchText | undefined): string {
  const text = match?.text;
  const query = typeof text === 'string' ? text : (text?.query ?? '');
  if (typeof query !== 'string') throw new Error('query.match.text must be a string or { query: string }');
  return query;
}

/**
 * The aggregations search sends: `global` (its sub-aggregations count over every
 * document) and `filter` with a `match` on the text (`operator: "and"` for every word),
 * each answering `doc_count` within its parent's documents, as OpenSearch's do.
 */
function aggregate(state: WordIndexState, aggs: Aggregations, scope: (() => ReadonlySet<string>) | 'all'): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [name, agg] of Object.entries(aggs)) {
    if (agg.global) {
      out[name] = { doc_count: state.sources.size, ...(agg.aggs ? aggregate(state, agg.aggs, 'all') : {}) };
      continue;
    }
    if (!agg.filter?.match) throw new Error(`aggregation [${name}]: this engine answers global and filter (match on text) aggregations only`);
    const text = matchQuery(agg.filter.match);
    // Over every document, one word's count is kept as documents come and go: no search needed.
    const counted = scope === 'all' && !agg.aggs ? state.holdingOne(text) : undefined;
    if (counted !== undefined) {
      out[name] = { doc_count: counted };
      continue;
    }
    const operator = typeof agg.filter.match.text === 'object' ? agg.filter.match.text.operator : undefined;
    const ids = state.search.search(text, { combineWith: String(operator ?? 'or').toLowerCase() === 'and' ? 'AND' : 'OR' }).map((h) => h.id as string);
    const within = scope === 'all' ? undefined : scope();
    const docs = within ? ids.filter((id) => within.has(id)) : ids;
    out[name] = { doc_count: docs.length, ...(agg.aggs ? aggregate(state, agg.aggs, once(() => new Set(docs))) : {}) };
  }
  return out;
}

/** A value computed the first time it is asked for. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** `_bulk`: each action applied in order, each with its own result, as OpenSearch answers. */
function bulk(body: string, record: (e: LogEntry) => unknown) {
  const lines = body.split('\n').filter((l) => l.trim() !== '');
  const items: object[] = [];
  for (let i = 0; i < lines.length; i++) {
    const action = JSON.parse(lines[i]!) as Record<string, { _index: string; _id: string }>;
    const [op, meta] = Object.entries(action)[0]!;
    if (op === 'index') {
      const source = JSON.parse(lines[++i]!) as Record<string, unknown>;
      const result = record({ op: 'index', index: meta._index, id: meta._id, source });
      items.push({ index: { _index: meta._index, _id: meta._id, result, status: result === 'created' ? 201 : 200 } });
    } else if (op === 'delete') {
      const found = record({ op: 'delete', index: meta._index, id: meta._id });
      items.push({ delete: { _index: meta._index, _id: meta._id, result: found ? 'deleted' : 'not_found', status: found ? 200 : 404 } });
    } else {
      items.push({ [op]: { _index: meta?._index, _id: meta?._id, status: 400, error: { type: 'illegal_argument_exception', reason: `bulk action ${op} is not supported here` } } });
    }
  }
  // OpenSearch reports a delete of a missing document as not_found without an error.
  const errors = items.some((item) => Object.values(item as Record<string, { status: number }>)[0]!.status >= 400 && !('delete' in item));
  return { took: 0, errors, items };
}

function replay(path: string, apply: (e: LogEntry) => unknown): void {
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      apply(JSON.parse(line) as LogEntry);
    } catch {
      // A line cut short by a crash mid-append: everything before it was answered, it was not.
    }
  }
}

/** Rewrites the log as the live documents alone, atomically (a rename). */
function compact(path: string, indexes: Map<string, WordIndexState>): void {
  const lines: string[] = [];
  for (const [index, state] of indexes) {
    lines.push(JSON.stringify({ op: 'create', index }));
    for (const [id, source] of state.sources) lines.push(JSON.stringify({ op: 'index', index, id, source }));
  }
  writeFileSync(`${path}.tmp`, lines.length ? lines.join('\n') + '\n' : '');
  renameSync(`${path}.tmp`, path);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(bytes > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

const pick = (source: Record<string, unknown>, fields: readonly string[]) => Object.fromEntries(fields.filter((f) => f in source).map((f) => [f, source[f]]));
