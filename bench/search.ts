/**
 * npm run bench:search [-- --data DIR --batchModel ensemble --queries 400 --index DIR]
 *
 * Quality: CoNLL-2003 test's 231 documents indexed by the batch path (the batch model,
 * document consistency, resolution), and queries made from their gold entities (as
 * written, and lower-cased): a document is relevant when its gold annotation contains
 * the entity (same normalized name, any type). Mean reciprocal rank and recall at 10,
 * beside BM25 (MiniSearch) over the same texts.
 *
 * Latency: the search path (model on the query, index lookups) over an index of the
 * Reuters-21578 stories. By default the one `npm run bench:batch` left in
 * bench/data/index-ensemble (all 19,043 stories, written by the local stack's batch path
 * with the ensemble, dynalite on disk as `npm start` runs it); `--index DIR` names another
 * such folder. Without one, the first `--stories N` stories are indexed here with the
 * small model (the index's shape, not the batch model, is what latency depends on).
 * Queries with one to three entities through the search Lambda's handler (API Gateway
 * events in, JSON out); p50, p99 and DynamoDB requests per query.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import MiniSearch from 'minisearch';
import { processChange, type BatchContext } from '../lambdas/batch/process.js';
import { loadModel } from '../lambdas/engine/load.js';
import { normalizeName } from '../lambdas/index/normalize.js';
import { readSearchRequest } from '../lambdas/search/request.js';
import { search } from '../lambdas/search/search.js';
import { ENV } from '../lambdas/shared/env.js';
import { localAwsEnvironment, localConfigPath, readLocalConfig } from '../local/config.js';
import { createBucket, createIndexTable, startEmulators } from '../local/emulators.js';
import { readConll } from '../tools/conll.js';
import { chunks } from '../tools/conlleval.js';
import { httpApiEvent } from '../tools/http-events.js';
import { benchDataDir } from '../tools/paths.js';
import { reutersStories } from '../tools/reuters.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';
import { shuffled } from './lib/queries.js';
import { summarize } from './lib/stats.js';

const args = scriptArgs({
  batchModel: { type: 'string', default: 'ensemble' },
  queryModel: { type: 'string', default: 'small' },
  queries: { type: 'string', default: '400' },
  stories: { type: 'string', default: '19043' },
  index: { type: 'string', default: join(benchDataDir, 'index-ensemble') },
});

const emulators = await startEmulators();
const db = DynamoDBDocumentClient.from(emulators.dynamo, { marshallOptions: { removeUndefinedValues: true } });
await createBucket(emulators.s3, 'bench');
const queryModel = await loadModel(args.queryModel, { intraOpThreads: 1 });
const knownTypes = ['LOC', 'MISC', 'ORG', 'PER'];
const request = (query: string, limit = 10) => readSearchRequest({ query, limit }, { knownTypes, cursorSecret: 'bench' });

async function indexTexts(table: string, model: string, docs: Array<{ key: string; text: string }>): Promise<BatchContext> {
  await createIndexTable(emulators.dynamo, table);
  const ctx: BatchContext = { store: { client: db, table }, s3: emulators.s3, model: await loadModel(model, { intraOpThreads: 2 }), maxObjectBytes: 1 << 24, leaseSeconds: 60, workerId: 'bench' };
  let seq = 1;
  for (const d of docs) {
    await emulators.s3.send(new PutObjectCommand({ Bucket: 'bench', Key: d.key, Body: d.text }));
    await processChange(ctx, { kind: 'created', bucket: 'bench', key: d.key, sequencer: (seq++).toString(16).padStart(12, '0'), eventTime: '' });
  }
  return ctx;
}

// ---- Quality on CoNLL-2003 test ----
const sentences = readConll(join(args.data, 'conll2003', 'test.txt'));
const byDoc = new Map<number, typeof sentences>();
for (const s of sentences) byDoc.set(s.document, [...(byDoc.get(s.document) ?? []), s]);
const docs = [...byDoc.entries()].map(([n, ss]) => ({ key: `conll-test/${String(n).padStart(3, '0')}.txt`, text: ss.map((s) => s.tokens.join(' ')).join('\n'), sentences: ss }));
const relevant = new Map<string, Set<string>>(); // normalized entity → document keys
const surface = new Map<string, string>();
for (const d of docs) {
  for (const s of d.sentences) {
    for (const c of chunks(s.tags)) {
      const [start, end] = c.split(':').map(Number) as [number, number];
      const text = s.tokens.slice(start, end).join(' ');
      const key = normalizeName(text);
      if (!key) continue;
      relevant.set(key, (relevant.get(key) ?? new Set()).add(d.key));
      if (!surface.has(key)) surface.set(key, text);
    }
  }
}
const queries = shuffled([...relevant.keys()], 3).slice(0, Number(args.queries));
console.log(`${docs.length} CoNLL-2003 test documents, ${queries.length} entity queries (of ${relevant.size}); indexing with ${args.batchModel}…`);
const t0 = Date.now();
const conll = await indexTexts('conll', args.batchModel, docs);
console.log(`indexed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const bm25 = new MiniSearch({ fields: ['text'], storeFields: ['key'], idField: 'key' });
bm25.addAll(docs.map((d) => ({ key: d.key, text: d.text })));

function score(rankings: string[][], truth: Array<Set<string>>) {
  let rr = 0;
  let recall = 0;
  rankings.forEach((ranked, i) => {
    const rel = truth[i]!;
    const first = ranked.findIndex((k) => rel.has(k));
    rr += first >= 0 ? 1 / (first + 1) : 0;
    recall += ranked.slice(0, 10).filter((k) => rel.has(k)).length / rel.size;
  });
  return { mrr: Number((rr / rankings.length).toFixed(4)), recallAt10: Number((recall / rankings.length).toFixed(4)) };
}

const quality: Record<string, unknown> = {};
for (const lower of [false, true]) {
  const qs = queries.map((k) => (lower ? surface.get(k)!.toLowerCase() : surface.get(k)!));
  const truth = queries.map((k) => relevant.get(k)!);
  const nerve: string[][] = [];
  for (const q of qs) nerve.push((await search(conll.store, queryModel, request(q, 10))).results.map((r) => r.key));
  const bm: string[][] = qs.map((q) => bm25.search(q).slice(0, 10).map((r) => r.key as string));
  // Where each wins: queries one system ranks a relevant document first and the other does not.
  const nerveWins: string[] = [];
  const bm25Wins: string[] = [];
  let nerveNoResults = 0;
  qs.forEach((q, i) => {
    const n = truth[i]!.has(nerve[i]![0] ?? '');
    const b = truth[i]!.has(bm[i]![0] ?? '');
    if (n && !b) nerveWins.push(q);
    if (b && !n) bm25Wins.push(q);
    if (nerve[i]!.length === 0) nerveNoResults++;
  });
  const row = {
    nerve: score(nerve, truth),
    bm25: score(bm, truth),
    topHitOnlyNerve: nerveWins.length,
    topHitOnlyBm25: bm25Wins.length,
    nerveNoResults,
    examples: { nerveFirst: nerveWins.slice(0, 8), bm25First: bm25Wins.slice(0, 8) },
  };
  quality[lower ? 'lowerCased' : 'asWritten'] = row;
  console.log(`${lower ? 'lower-cased' : 'as written '}: Nerve MRR ${row.nerve.mrr} R@10 ${row.nerve.recallAt10} | BM25 MRR ${row.bm25.mrr} R@10 ${row.bm25.recallAt10} | first hit only Nerve ${row.topHitOnlyNerve}, only BM25 ${row.topHitOnlyBm25}; Nerve without results ${nerveNoResults}`);
  console.log(`  relevant first only by Nerve: ${nerveWins.slice(0, 5).join(' | ')}`);
  console.log(`  relevant first only by BM25:  ${bm25Wins.slice(0, 5).join(' | ')}`);
}
await conll.model.release();

// ---- Latency over Reuters ----
const kept = localConfigPath(args.index);
let reutersStore: BatchContext['store'];
let stories = 0;
let stopKept = async () => {};
let reutersEndpoint = emulators.dynamoEndpoint;
if (existsSync(kept)) {
  // The local stack's own index, opened as `npm start` opens it.
  const kEmulators = await startEmulators({ dataDir: join(args.index, 'data') });
  reutersEndpoint = kEmulators.dynamoEndpoint;
  const kDb = DynamoDBDocumentClient.from(kEmulators.dynamo, { marshallOptions: { removeUndefinedValues: true } });
  reutersStore = { client: kDb, table: readLocalConfig({ path: kept }).table };
  for await (const page of paginateScan({ client: kDb }, { TableName: reutersStore.table, Select: 'COUNT', FilterExpression: 'sk = :meta', ExpressionAttributeValues: { ':meta': 'META' } })) stories += page.Count ?? 0;
  console.log(`searching the index in ${args.index}: ${stories} documents`);
  stopKept = () => kEmulators.stop();
} else {
  const storyDocs: Array<{ key: string; text: string }> = [];
  for (const s of reutersStories(join(args.data, 'reuters21578'))) {
    if (storyDocs.length >= Number(args.stories)) break;
    storyDocs.push({ key: `incoming/${s.newId}.txt`, text: `${s.title}\n\n${s.body}` });
  }
  const t1 = Date.now();
  const reuters = await indexTexts('reuters', 'small', storyDocs);
  await reuters.model.release();
  reutersStore = reuters.store;
  stories = storyDocs.length;
  console.log(`no index in ${args.index}; indexed ${stories} Reuters stories with small in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
}
const latencyQueries = ['opec output', 'reagan trade bill', 'japan', 'saudi arabia oil prices', 'federal reserve', 'brazil debt', 'ibm', 'texaco pennzoil', 'west germany bundesbank', 'chrysler american motors', 'u.s. treasury baker', 'nakasone tokyo', 'gold prices', 'london stock exchange', 'soviet union grain'];
// The search Lambda's handler itself, from API Gateway events, with its own DynamoDB client
// configured from the environment as in AWS (logs and metrics off to keep this output readable).
Object.assign(process.env, {
  ...localAwsEnvironment({ dynamodb: reutersEndpoint }),
  [ENV.indexTable]: reutersStore.table,
  [ENV.model]: args.queryModel,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
const { handler } = await import('../lambdas/search/handler.js');
const ms: number[] = [];
for (let round = 0; round < 20; round++) {
  for (const q of latencyQueries) {
    const started = performance.now();
    const res = await handler(httpApiEvent('POST /v1/search', { body: JSON.stringify({ query: q, limit: 10 }) }));
    if (round > 0) ms.push(performance.now() - started);
    if (res.statusCode !== 200) throw new Error(`search answered ${res.statusCode}: ${res.body}`);
  }
}
// Requests per query (the handler reports them as a metric, not in its response).
const requests: number[] = [];
for (const q of latencyQueries) requests.push((await search(reutersStore, queryModel, request(q, 10))).requests);
const latency = summarize(ms);
const reqs = summarize(requests);
console.log(`search handler latency over ${stories} stories (${latencyQueries.length} queries × 19): p50 ${latency.p50} ms, p99 ${latency.p99} ms; DynamoDB requests per query p50 ${reqs.p50}, max ${reqs.max}`);
await queryModel.release();
await stopKept();
await emulators.stop();

writeResult('search', {
  benchmark: 'bench:search',
  machine: machine(),
  batchModel: args.batchModel,
  queryModel: args.queryModel,
  quality: { documents: docs.length, queries: queries.length, ...quality },
  latency: { index: existsSync(kept) ? args.index : 'built here with small', stories, queries: latencyQueries, ms: latency, dynamodbRequestsPerQuery: reqs, target: { p99Ms: 50 } },
});
