/**
 * npm run bench:online [-- --model small --data DIR --seconds 30 --rate 200]
 *
 * 1. handler-only latency for queries of 3-32 tokens (API Gateway v2 events, in-process);
 * 2. the local stack over HTTP at a fixed rate (bench/lib/open-loop.ts), p50/p99 and errors;
 * 3. cold start in fresh processes: ORT load, model load, first inference;
 * 4. cost per million requests on AWS from these numbers, beside Amazon Comprehend.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { httpApiEvent } from '../tools/http-events.js';
import { startLocalStack } from '../tools/local-stack.js';
import { repoRoot } from '../tools/paths.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';
import { onlineCost } from './lib/cost.js';
import { conllQueries, shuffled } from './lib/queries.js';
import { openLoop } from './lib/open-loop.js';
import { median, summarize } from './lib/stats.js';

const ECHO_SERVER = `const s = require('node:http').createServer(async (q, r) => { for await (const _ of q); r.writeHead(200, { 'content-type': 'application/json' }); r.end('{}'); });
s.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + s.address().port + '/'));`;

const args = scriptArgs({
  model: { type: 'string', default: 'small' },
  seconds: { type: 'string', default: '30' },
  rate: { type: 'string', default: '200' },
  coldStarts: { type: 'string', default: '5' },
});
process.env.NERVE_MODEL = args.model;
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const queries = shuffled(conllQueries(args.data), 11).slice(0, 3000);
const events = queries.map((text) => httpApiEvent('POST /v1/entities', { body: JSON.stringify({ text }) }));

// 1. Handler only.
const { handler } = await import('../lambdas/online/handler.js');
for (const e of events.slice(0, 300)) await handler(e);
const handlerMs: number[] = [];
for (const e of events) {
  const t0 = performance.now();
  const res = await handler(e);
  handlerMs.push(performance.now() - t0);
  if (res.statusCode !== 200) throw new Error(`handler answered ${res.statusCode}: ${res.body}`);
}
const handlerLatency = summarize(handlerMs);
console.log(`handler latency ms (${queries.length} queries, 3-32 tokens): p50 ${handlerLatency.p50}  p99 ${handlerLatency.p99}  mean ${handlerLatency.mean}`);

// 2. Local HTTP at a fixed rate, against the online path alone (NERVE_LOCAL_BATCH=false): the
// batch emulators and queue poller are not part of what an online request goes through.
// The stack logs and emits metrics per request as deployed (those variables are unset for it).
const { POWERTOOLS_METRICS_DISABLED: _m, POWERTOOLS_LOG_LEVEL: _l, ...deployedEnv } = process.env;
const stack = await startLocalStack({ ...(deployedEnv as Record<string, string>), NERVE_MODEL: args.model, NERVE_LOCAL_BATCH: 'false' });
const load = { rate: Number(args.rate), seconds: Number(args.seconds), headers: { 'content-type': 'application/json' } };
const http = await openLoop({ ...load, url: `${stack.url}/v1/entities`, body: (i) => JSON.stringify({ text: queries[i % queries.length] }) });
await stack.stop();

// The same load against an empty echo server in its own process: the floor this machine
// and this generator put under any HTTP latency, to read the figures above against.
const echo = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const echoUrl = await new Promise<string>((resolve) => echo.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())));
const floor = await openLoop({ ...load, url: echoUrl, body: () => '{"text": "x"}' });
echo.kill();
const ms = (r: typeof http) => {
  const { p50, p90, p99, max } = summarize(r.latenciesMs);
  return { p50, p90, p99, max };
};
const httpResult = {
  generator: 'bench/lib/open-loop.ts: evenly spaced, open loop, latency from the time each request was due',
  rate: load.rate,
  seconds: load.seconds,
  requests: http.requests,
  non2xx: http.non2xx,
  errors: http.errors,
  generatorSendLagP99Ms: http.sendLagP99Ms,
  latencyMs: ms(http),
  emptyServerLatencyMs: ms(floor),
};
console.log(`local HTTP at ${load.rate} req/s for ${load.seconds}s: ${httpResult.requests} requests, p50 ${httpResult.latencyMs.p50} ms, p99 ${httpResult.latencyMs.p99} ms, errors ${httpResult.errors + httpResult.non2xx}`);
console.log(`  the same load on an empty echo server: p50 ${httpResult.emptyServerLatencyMs.p50} ms, p99 ${httpResult.emptyServerLatencyMs.p99} ms (this machine's floor)`);

// 3. Cold starts, each in a fresh process.
const colds: Array<Record<string, number>> = [];
for (let c = 0; c < Number(args.coldStarts); c++) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'cold-start.ts')], { encoding: 'utf8', env: { ...process.env, NERVE_MODEL: args.model } });
  if (run.status !== 0) throw new Error(run.stderr);
  colds.push(JSON.parse(run.stdout.trim().split('\n').pop()!));
}
const cold = Object.fromEntries(['ortLoadMs', 'modelLoadMs', 'firstInferenceMs', 'totalMs'].map((k) => [k, Number(median(colds.map((c) => c[k]!)).toFixed(1))]));
console.log(`cold start (median of ${colds.length}): ORT ${cold.ortLoadMs} ms + model ${cold.modelLoadMs} ms + first inference ${cold.firstInferenceMs} ms = ${cold.totalMs} ms`);

// 4. Cost.
// The online function's deployed memory; the CDK is loaded only now, after every measurement.
const { ONLINE_API_DEFAULTS } = await import('../lib/online-api.js');
const cost = onlineCost({ handlerMeanMs: handlerLatency.mean, queries, memoryMb: ONLINE_API_DEFAULTS.memorySize });
console.log(`\ncost per million requests (us-east-1 list prices):`);
for (const row of cost.table) console.log(`  ${row.item.padEnd(58)} $${row.usdPerMillion.toFixed(2)}`);
console.log(`  provisioned concurrency: $${cost.provisionedConcurrencyUsdPerMonth.toFixed(2)} per instance-month, whatever the traffic`);
console.log(`  Amazon Comprehend DetectEntities for the same queries:     $${cost.comprehendUsdPerMillion.toFixed(2)}`);

writeResult(`online-${args.model.split('/').pop()}`, {
  benchmark: 'bench:online',
  machine: machine(),
  handlerLatencyMs: handlerLatency,
  targets: { handlerP99Ms: 3, httpP99Ms: 10, coldStartMs: 1000 },
  localHttp: httpResult,
  coldStartMs: { median: cold, runs: colds },
  cost,
});
