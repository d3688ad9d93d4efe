/**
 * npm run bench:search [-- --data DIR --batchModel ensemble --queries 400 --index DIR --split test|dev --latency false --words false]
 *
 * Quality (lib/entity-retrieval.ts): CoNLL-2003 test's 231 documents (`--split dev` to
 * select on dev) indexed by the batch path (the batch model, document consistency,
 * resolution, terms), and queries made from their gold entities (as written, and
 * lower-cased): a document is relevant when its gold annotation contains the entity.
 * Mean reciprocal rank and recall at 10, beside BM25 (MiniSearch) over the same texts.
 * Nerve's index has its word index (lambdas/words, the local engine) unless `--words false`.
 * Then the same over CrossNER politics test (Wikipedia, another annotation scheme, in
 * documents of four sentences): a second evaluation nothing is selected on.
 *
 * Latency: the search path (model on the query, index lookups) over an index of the
 * Reuters-21578 stories. By default the one `npm run bench:batch` left in
 * bench/data/index-ensemble (all 19,043 stories, written by the local stack's batch path
 * with the ensemble, dynalite on disk as `npm start` runs it), DynamoDB's and the word
 * index's emulators each in a process of its own, as the two services are on AWS
 * (lib/emulators-apart.ts); `--index DIR` names another such folder.
 * Without one, the first `--stories N` stories are indexed here with the small model
 * (the index's shape, not the batch model, is what latency depends on), in the in-memory
 * emulators, which read slower than the on-disk index `npm start` keeps:
 * the latency target is measured on the kept index.
 * Queries with one to three entities through the search Lambda's handler (API Gateway
 * events in, JSON out); p50, p99 and DynamoDB requests per query, and each query's own p50 and
 * slowest (a tail one query makes, or one every query meets now and then).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { processChange, type BatchContext } from '../lambdas/batch/process.js';
import { loadModel } from '../lambdas/engine/load.js';
import { readSearchRequest } from '../lambdas/search/request.js';
import { search } from '../lambdas/search/search.js';
import { ENV } from '../lambdas/shared/env.js';
import { OpenSearchWords } from '../lambdas/words/opensearch.js';
import { DEFAULT_WORDS_INDEX } from '../lambdas/shared/contract.js';
import { localAwsEnvironment, localClientConfig, localConfigPath, readLocalConfig } from '../local/config.js';
import { createBucket, createIndexTable, startEmulators } from '../local/emulators.js';
import { readConll, type ConllSentence } from '../tools/conll.js';
import { httpApiEvent } from '../tools/http-events.js';
import { benchDataDir } from '../tools/paths.js';
import { reutersStories } from '../tools/reuters.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';
import { startEmulatorsApart } from './lib/emulators-apart.js';
import { compareWithBm25, entityQueries, type LabelledDocument } from './lib/entity-retrieval.js';
import { summarize } from './lib/stats.js';

const args = scriptArgs({
  batchModel: { type: 'string', default: 'ensemble' },
  queryModel: { type: 'string', default: 'small' },
  queries: { type: 'string', default: '400' },
  split: { type: 'string', default: 'test' },
  latency: { type: 'string', default: 'true' },
  stories: { type: 'string', default: '19043' },
  index: { type: 'string', default: join(benchDataDir, 'index-ensemble') },
  words: { type: 'string', default: 'true' },
});
const withWords = args.words !== 'false';

const emulators = await startEmulators();
const db = DynamoDBDocumentClient.from(emulators.dynamo, { marshallOptions: { removeUndefinedValues: true } });
await createBucket(emulators.s3, 'bench');
const queryModel = await loadModel(args.queryModel, { intraOpThreads: 1 });
const knownTypes = ['LOC', 'MISC', 'ORG', 'PER'];
const request = (query: string, limit = 10) => readSearchRequest({ query, limit }, { knownTypes, cursorSecret: 'bench' });

async function indexTexts(table: string, model: string, docs: Array<{ key: string; text: string }>): Promise<BatchContext> {
  await createIndexTable(emulators.dynamo, table);
  const words = withWords ? new OpenSearchWords({ endpoint: emulators.wordsEndpoint, index: table }) : undefined;
  const ctx: BatchContext = { store: { client: db, table, words }, s3: emulators.s3, model: await loadModel(model, { intraOpThreads: 2 }), maxObjectBytes: 1 << 24, leaseSeconds: 60, workerId: 'bench' };
  let seq = 1;
  for (const d of docs) {
    await emulators.s3.send(new PutObjectCommand({ Bucket: 'bench', Key: d.key, Body: d.text }));
    await processChange(ctx, { kind: 'created', bucket: 'bench', key: d.key, sequencer: (seq++).toString(16).padStart(12, '0'), eventTime: '' });
  }
  return ctx;
}

// ---- Quality: CoNLL-2003 (test by default; --split dev to select on), and CrossNER politics, which nothing is tuned on ----
const conllSentences = readConll(join(args.data, 'conll2003', `${args.split}.txt`));
const byDoc = new Map<number, ConllSentence[]>();
for (const s of conllSentences) byDoc.set(s.document, [...(byDoc.get(s.document) ?? []), s]);
const docs: LabelledDocument[] = [...byDoc.entries()].map(([n, ss]) => ({ key: `conll-${args.split}/${String(n).padStart(3, '0')}.txt`, text: ss.map((s) => s.tokens.join(' ')).join('\n'), sentences: ss }));
const conllQueries = entityQueries(docs, Number(args.queries));
console.log(`${docs.length} CoNLL-2003 ${args.split} documents, ${conllQueries.queries.length} entity queries (of ${conllQueries.relevant.size}); indexing with ${args.batchModel}…`);
const t0 = Date.now();
const conll = await indexTexts('conll', args.batchModel, docs);
console.log(`indexed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
const nerveTop10 = (store: BatchContext['store']) => async (q: string) => (await search(store, queryModel, request(q, 10))).results.map((r) => r.key);
const quality: Record<string, unknown> = { conll: await compareWithBm25(`CoNLL-2003 ${args.split}`, docs, conllQueries, nerveTop10(conll.store)) };

// CrossNER politics test: Wikipedia, another domain and annotation; documents of DOC_SENTENCES consecutive sentences.
const DOC_SENTENCES = 4;
const politics = readConll(join(args.data, 'crossner', 'politics', 'test.txt'));
const heldOut: LabelledDocument[] = [];
for (let i = 0; i < politics.length; i += DOC_SENTENCES) {
  const ss = politics.slice(i, i + DOC_SENTENCES);
  heldOut.push({ key: `crossner-politics/${String(i / DOC_SENTENCES).padStart(3, '0')}.txt`, text: ss.map((s) => s.tokens.join(' ')).join('\n'), sentences: ss });
}
const heldOutQueries = entityQueries(heldOut, Number(args.queries));
const crossner = await indexTexts('crossner', args.batchModel, heldOut);
quality.crossnerPolitics = await compareWithBm25('CrossNER politics', heldOut, heldOutQueries, nerveTop10(crossner.store));
await crossner.model.release();
await conll.model.release();

if (args.latency === 'false') {
  await queryModel.release();
  await emulators.stop();
  writeResult('search', { benchmark: 'bench:search', machine: machine(), batchModel: args.batchModel, queryModel: args.queryModel, words: withWords, quality: { conllSplit: args.split, ...quality }, latency: 'not measured (--latency false)' });
  process.exit(0);
}

// ---- Latency over Reuters ----
const kept = localConfigPath(args.index);
let reutersStore: BatchContext['store'];
let stories = 0;
let stopKept = async () => {};
let stopInMemory = () => emulators.stop();
let reutersEndpoint = emulators.dynamoEndpoint;
let wordsEndpoint = emulators.wordsEndpoint;
if (existsSync(kept)) {
  // The local stack's own index, opened as `npm start` opens it, in a process of its own as AWS's services are.
  const kEmulators = await startEmulatorsApart(args.index);
  reutersEndpoint = kEmulators.dynamoEndpoint;
  wordsEndpoint = kEmulators.wordsEndpoint;
  const kDb = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(reutersEndpoint)), { marshallOptions: { removeUndefinedValues: true } });
  const table = readLocalConfig({ path: kept }).table;
  reutersStore = { client: kDb, table, words: withWords ? new OpenSearchWords({ endpoint: wordsEndpoint, index: DEFAULT_WORDS_INDEX }) : undefined };
  for await (const page of paginateScan({ client: kDb }, { TableName: reutersStore.table, Select: 'COUNT', FilterExpression: 'sk = :meta', ExpressionAttributeValues: { ':meta': 'META' } })) stories += page.Count ?? 0;
  console.log(`searching the index in ${args.index}: ${stories} documents`);
  stopKept = () => kEmulators.stop();
  // The quality phase's in-memory indexes are done with: left alive in this process, their
  // heap would be the handler's to collect, which a Lambda's is not.
  await emulators.stop();
  stopInMemory = async () => {};
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
  ...localAwsEnvironment({ dynamodb: reutersEndpoint, ...(withWords ? { words: wordsEndpoint } : {}) }),
  [ENV.indexTable]: reutersStore.table,
  ...(withWords ? { [ENV.wordsIndex]: existsSync(kept) ? DEFAULT_WORDS_INDEX : 'reuters' } : {}),
  [ENV.model]: args.queryModel,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
const { handler } = await import('../lambdas/search/handler.js');
const ms: number[] = [];
// Each query's own samples, so a slow tail can be told from a slow query.
const byQuery = new Map<string, number[]>(latencyQueries.map((q) => [q, []]));
// Garbage collection during the timed loop, so a slow tail can be told from a slow lookup.
const gcMs: number[] = [];
const gcObserver = new PerformanceObserver((list) => gcMs.push(...list.getEntries().map((e) => e.duration)));
gcObserver.observe({ entryTypes: ['gc'] });
// Rounds after a first (warm-up) one: enough that p99 is the 6th-slowest of 600 samples, not
// the 3rd of 285, which one stall among them moves.
const ROUNDS = 40;
for (let round = 0; round <= ROUNDS; round++) {
  for (const q of latencyQueries) {
    const started = performance.now();
    const res = await handler(httpApiEvent('POST /v1/search', { body: JSON.stringify({ query: q, limit: 10 }) }));
    if (round > 0) {
      const took = performance.now() - started;
      ms.push(took);
      byQuery.get(q)!.push(took);
    }
    if (res.statusCode !== 200) throw new Error(`search answered ${res.statusCode}: ${res.body}`);
  }
}
gcObserver.disconnect();
const gc = { collections: gcMs.length, totalMs: Math.round(gcMs.reduce((a, b) => a + b, 0) * 10) / 10, maxMs: Math.round(Math.max(0, ...gcMs) * 10) / 10 };
// Requests per query (the handler reports them as a metric, not in its response).
const requests: number[] = [];
for (const q of latencyQueries) requests.push((await search(reutersStore, queryModel, request(q, 10))).requests);
// What the evidence step made of the example, over the whole corpus.
const example = await search(reutersStore, queryModel, request('reagan trade bill', 10));
const exampleReport = { queryEntities: example.queryEntities.map((e) => `${e.normalized} ${e.type} (${e.foundBy})`), queryTerms: example.queryTerms, top10MatchingPersonBill: example.results.filter((r) => r.matches.some((m) => m.type === 'PER' && m.normalized === 'bill')).length, top10WithTrade: example.results.filter((r) => r.terms?.includes('trade')).length };
console.log(`"reagan trade bill": ${JSON.stringify(exampleReport)}`);
const latency = summarize(ms);
const perQuery = Object.fromEntries([...byQuery].map(([q, samples], i) => {
  const { p50, max } = summarize(samples);
  return [q, { p50, max, dynamodbRequests: requests[i] }];
}));
const reqs = summarize(requests);
console.log(`search handler latency over ${stories} stories (${latencyQueries.length} queries × ${ROUNDS}): p50 ${latency.p50} ms, p99 ${latency.p99} ms; DynamoDB requests per query p50 ${reqs.p50}, max ${reqs.max}; garbage collection ${gc.collections}×, ${gc.totalMs} ms in all, longest ${gc.maxMs} ms`);
await queryModel.release();
await stopKept();
await stopInMemory();

writeResult('search', {
  benchmark: 'bench:search',
  machine: machine(),
  batchModel: args.batchModel,
  queryModel: args.queryModel,
  words: withWords,
  quality: { conllSplit: args.split, ...quality },
  latency: { index: existsSync(kept) ? args.index : 'built here with small', stories, queries: latencyQueries, ms: latency, perQuery, dynamodbRequestsPerQuery: reqs, garbageCollection: gc, target: { p99Ms: 50 } },
  reaganTradeBill: exampleReport,
});
