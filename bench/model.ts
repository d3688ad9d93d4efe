/**
 * npm run bench:model [-- --model small --data DIR]
 *
 * The engine in-process: latency of one query (≤ 32 tokens, one intra-op thread) and
 * batched throughput in tokens per second on CoNLL-2003 test: one thread; two cores as
 * two intra-op threads of one model; two cores as two worker threads with a model each
 * (engine/parallel.ts, what the batch function runs).
 */
import { basename, join } from 'node:path';
import { loadModel } from '../lambdas/engine/load.js';
import type { NerModel } from '../lambdas/engine/model.js';
import { readConll } from '../tools/conll.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';
import { conllQueries, shuffled } from './lib/queries.js';
import { summarize } from './lib/stats.js';

const args = scriptArgs({
  model: { type: 'string', default: 'small' },
  queries: { type: 'string', default: '3000' },
  // The batch ensemble serves no queries: measure its throughput only.
  throughputOnly: { type: 'boolean', default: false },
});

async function queryLatency(model: NerModel, queries: string[]) {
  for (const q of queries.slice(0, 300)) await model.extract(q); // warm-up: JIT, ORT arenas
  const byBucket: Record<string, number[]> = { '3-8': [], '9-16': [], '17-32': [] };
  const all: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    await model.extract(q);
    const ms = performance.now() - t0;
    all.push(ms);
    const n = q.split(' ').length;
    byBucket[n <= 8 ? '3-8' : n <= 16 ? '9-16' : '17-32']!.push(ms);
  }
  return { all: summarize(all), byTokens: Object.fromEntries(Object.entries(byBucket).map(([k, v]) => [k, summarize(v)])) };
}

interface Setup {
  readonly workers: number;
  readonly threads: number;
}
const plural = (n: number, word: string) => `${n} ${word}${n > 1 ? 's' : ''}`;
const describeSetup = ({ workers, threads }: Setup) => (workers > 1 ? `${plural(workers, 'worker')} x ${plural(threads, 'thread')}` : plural(threads, 'thread'));

async function throughput(ref: string, setup: Setup, sentences: string[][]) {
  const model = await loadModel(ref, { intraOpThreads: setup.threads, workers: setup.workers, batchWindows: 64 });
  await model.labelSentences(sentences.slice(0, 500));
  const tokens = sentences.reduce((n, s) => n + s.length, 0);
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await model.labelSentences(sentences);
    runs.push((performance.now() - t0) / 1000);
  }
  await model.release();
  const best = Math.min(...runs);
  const median = [...runs].sort((a, b) => a - b)[1]!;
  return { ...setup, tokens, medianSeconds: Number(median.toFixed(3)), tokensPerSecond: Math.round(tokens / median), bestTokensPerSecond: Math.round(tokens / best) };
}

const model = await loadModel(args.model, { intraOpThreads: 1 });
let latency: Awaited<ReturnType<typeof queryLatency>> | undefined;
if (!args.throughputOnly) {
  const queries = shuffled(conllQueries(args.data), 7).slice(0, Number(args.queries));
  console.log(`model ${model.model.name} ${model.model.version}: ${queries.length} queries of 3-32 tokens, one thread`);
  latency = await queryLatency(model, queries);
  console.log(`query latency ms: p50 ${latency.all.p50}  p99 ${latency.all.p99}  (3-8 tokens p50 ${latency.byTokens['3-8']!.p50}, 17-32 tokens p50 ${latency.byTokens['17-32']!.p50})`);
}
await model.release();

const sentences = readConll(join(args.data, 'conll2003', 'test.txt')).map((s) => s.tokens);
const batched = [];
for (const setup of [{ workers: 1, threads: 1 }, { workers: 1, threads: 2 }, { workers: 2, threads: 1 }]) {
  const r = await throughput(args.model, setup, sentences);
  console.log(`batched (CoNLL-2003 test, ${r.tokens} tokens, ${describeSetup(setup)}): ${r.tokensPerSecond.toLocaleString('en')} tokens/s (median of 3)`);
  batched.push(r);
}

writeResult(`model-${basename(args.model)}`, {
  benchmark: 'bench:model',
  model: model.model,
  machine: machine(),
  queryLatencyMs: latency,
  targets: { p50Ms: 1, p99Ms: 3 },
  batched,
});
