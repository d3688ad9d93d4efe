/**
 * npm run bench:model [-- --model small --data DIR]
 *
 * The engine in-process: latency of one query (≤ 32 tokens, one intra-op thread) and
 * batched throughput in tokens per second on CoNLL-2003 test: one thread; two cores as
 * two intra-op threads of one model; two cores as two worker threads with a model each
 * (engine/parallel.ts, what the batch function runs).
 *
 * Any family loads (`--model test/fixtures/hf/bert-wordpiece` for a transformer). A
 * transformer export that holds its int8 copy (tools/hf/quantize.py's model_quantized.onnx)
 * is measured both ways in the same run, fp32 then int8, with int8's ratios to fp32.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { loadModel, type LoadOptions } from '../lambdas/engine/load.js';
import { resolveModelDir } from '../lambdas/engine/manifest.js';
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

async function throughput(ref: string, setup: Setup, sentences: string[][], variant: LoadOptions) {
  const model = await loadModel(ref, { ...variant, intraOpThreads: setup.threads, workers: setup.workers, batchWindows: 64 });
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

/** One ONNX file of the model: everything measured with it. */
async function measureVariant(variant: LoadOptions) {
  const model = await loadModel(args.model, { ...variant, intraOpThreads: 1 });
  const { family } = model;
  let latency: Awaited<ReturnType<typeof queryLatency>> | undefined;
  if (!args.throughputOnly) {
    const queries = shuffled(conllQueries(args.data), 7).slice(0, Number(args.queries));
    console.log(`model ${model.model.name} ${model.model.version} (${family}${variant.onnxFile ? `, ${variant.onnxFile}` : ''}): ${queries.length} queries of 3-32 tokens, one thread`);
    latency = await queryLatency(model, queries);
    console.log(`query latency ms: p50 ${latency.all.p50}  p99 ${latency.all.p99}  (3-8 tokens p50 ${latency.byTokens['3-8']!.p50}, 17-32 tokens p50 ${latency.byTokens['17-32']!.p50})`);
  }
  await model.release();
  const batched = [];
  for (const setup of [{ workers: 1, threads: 1 }, { workers: 1, threads: 2 }, { workers: 2, threads: 1 }]) {
    const r = await throughput(args.model, setup, sentences, variant);
    console.log(`batched (CoNLL-2003 test, ${r.tokens} tokens, ${describeSetup(setup)}): ${r.tokensPerSecond.toLocaleString('en')} tokens/s (median of 3)`);
    batched.push(r);
  }
  return { model: model.model, family, queryLatencyMs: latency, batched };
}

const sentences = readConll(join(args.data, 'conll2003', 'test.txt')).map((s) => s.tokens);
const loadBefore = loadavg();
const int8File = 'model_quantized.onnx';
const hasInt8 = existsSync(join(resolveModelDir(args.model), int8File));
const fp32 = await measureVariant({});
const int8 = fp32.family === 'transformer' && hasInt8 ? await measureVariant({ onnxFile: int8File }) : undefined;
const { model, family, ...measured } = fp32;

/** int8's figures over fp32's, from this run: latency below 1 and throughput above 1 are int8's gains. */
function int8Ratios(q: NonNullable<typeof int8>) {
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
  return {
    queryLatencyP50: fp32.queryLatencyMs && q.queryLatencyMs ? ratio(q.queryLatencyMs.all.p50, fp32.queryLatencyMs.all.p50) : undefined,
    queryLatencyP99: fp32.queryLatencyMs && q.queryLatencyMs ? ratio(q.queryLatencyMs.all.p99, fp32.queryLatencyMs.all.p99) : undefined,
    tokensPerSecond: q.batched.map((b, i) => ({ workers: b.workers, threads: b.threads, ratio: ratio(b.tokensPerSecond, fp32.batched[i]!.tokensPerSecond) })),
  };
}
if (int8) console.log(`int8 / fp32: ${JSON.stringify(int8Ratios(int8))}`);

writeResult(`model-${basename(args.model)}`, {
  benchmark: 'bench:model',
  model,
  family,
  machine: { ...machine(), loadAverage: { before: loadBefore.map((l) => Number(l.toFixed(2))), after: loadavg().map((l) => Number(l.toFixed(2))) } },
  ...measured,
  targets: { p50Ms: 1, p99Ms: 3 },
  ...(int8 ? { int8: { onnxFile: int8File, queryLatencyMs: int8.queryLatencyMs, batched: int8.batched }, int8OverFp32: int8Ratios(int8) } : {}),
});
