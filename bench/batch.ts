/**
 * npm run bench:batch [-- --model ensemble|small --data DIR --limit N]
 *
 * Ingests every Reuters-21578 story with a body (19,043 files) through the local stack,
 * exactly as a user would (`nerve ingest` into the running stack), and reports
 * documents/s, tokens/s, entities written, time to fully indexed, the stack's peak
 * memory, whether anything was lost, and the AWS cost per million documents beside
 * Amazon Comprehend's asynchronous entity detection for the same characters.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { ingest } from '../cli/ingest.js';
import { tokenize } from '../lambdas/engine/tokenize.js';
import { ENV } from '../lambdas/shared/env.js';
import { INGEST_PIPELINE_DEFAULTS } from '../lib/ingest-pipeline.js';
import { localClientConfig, localConfigPath, readLocalConfig } from '../local/config.js';
import { startLocalStack } from '../tools/local-stack.js';
import { benchDataDir } from '../tools/paths.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';
import { batchCost, comprehendUsdPerMillion } from './lib/cost.js';
import { writeReutersFiles } from './reuters-to-files.js';

const args = scriptArgs({ model: { type: 'string', default: 'ensemble' }, limit: { type: 'string', default: '0' } });
const scratch = mkdtempSync(join(tmpdir(), 'nerve-bench-batch-'));
const folder = join(scratch, 'reuters');
writeReutersFiles(args.data, folder);
let files = readdirSync(folder).sort((a, b) => Number.parseInt(a) - Number.parseInt(b));
if (Number(args.limit) > 0) {
  for (const f of files.slice(Number(args.limit))) rmSync(join(folder, f));
  files = files.slice(0, Number(args.limit));
}
const texts = files.map((f) => readFileSync(join(folder, f), 'utf8'));
let chars = 0;
let tokens = 0;
for (const text of texts) {
  chars += Array.from(text).length;
  for (const _ of tokenize(text)) tokens++;
}
console.log(`${files.length} stories, ${tokens.toLocaleString('en')} tokens, ${chars.toLocaleString('en')} characters; batch model ${args.model}`);

// The local stack, as `npm start` runs it, in its own process (its memory is what we watch).
// Its index stays afterwards: `npm run bench:search` measures search latency over it.
const localDir = join(benchDataDir, `index-${args.model.split('/').pop()}`);
rmSync(localDir, { recursive: true, force: true });
const stack = await startLocalStack({ NERVE_LOCAL_DIR: localDir, NERVE_INBOX: join(scratch, 'inbox'), [ENV.batchModel]: args.model }, { stderr: 'inherit' });
let peakRssMb = 0;
let cpuSeconds = 0; // the stack's user and system time: a figure that a busy machine disturbs less than the wall clock
const sampler = setInterval(() => {
  try {
    const status = readFileSync(`/proc/${stack.process.pid}/status`, 'utf8');
    peakRssMb = Math.max(peakRssMb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    // /proc/PID/stat: utime and stime, in clock ticks (100 a second on Linux), are fields 14 and 15.
    const fields = readFileSync(`/proc/${stack.process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    cpuSeconds = (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    /* not on Linux: no memory figure */
  }
}, 1000);

const started = Date.now();
const result = await ingest({ paths: [folder], localConfig: localConfigPath(localDir), timeoutSeconds: 3600 });
const seconds = (Date.now() - started) / 1000;

// Count what is in the index: zero lost means every uploaded file has a record.
const config = readLocalConfig({ path: localConfigPath(localDir) });
const db = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(config.dynamoEndpoint)));
let records = 0;
let indexed = 0;
let entities = 0;
let mentions = 0;
let terms = 0;
for await (const page of paginateScan({ client: db }, { TableName: config.table, FilterExpression: 'sk = :meta', ExpressionAttributeValues: { ':meta': 'META' } })) {
  for (const item of page.Items ?? []) {
    records++;
    if (item.status === 'indexed') indexed++;
    entities += (item.entityCount as number) ?? 0;
  }
}
for await (const page of paginateScan({ client: db }, { TableName: config.table, FilterExpression: 'begins_with(sk, :ent)', ExpressionAttributeValues: { ':ent': 'ENT#' } })) {
  for (const item of page.Items ?? []) {
    for (const e of item.entities as Array<{ mentions: unknown[] }>) mentions += e.mentions.length;
    terms += (item.terms as unknown[] | undefined)?.length ?? 0; // a document's terms ride on its first chunk
  }
}
clearInterval(sampler);
await stack.stop();

// AWS cost per million documents from the measured compute, at the batch function's deployed
// memory (two vCPUs, like this machine's two cores) and batch size.
const docs = files.length;
const nerveCost = batchCost({
  secondsPerDocument: seconds / docs,
  entitiesPerDocument: entities / docs,
  termsPerDocument: terms / docs,
  memoryMb: INGEST_PIPELINE_DEFAULTS.memorySize,
  documentsPerInvocation: INGEST_PIPELINE_DEFAULTS.batchSize,
});

const report = {
  benchmark: 'bench:batch',
  machine: machine(),
  model: args.model,
  documents: docs,
  tokens,
  characters: chars,
  secondsToFullyIndexed: Number(seconds.toFixed(1)),
  documentsPerSecond: Number((docs / seconds).toFixed(2)),
  tokensPerSecond: Math.round(tokens / seconds),
  recordsInIndex: records,
  indexed,
  failed: result.failed.length,
  lost: docs - records,
  entitiesWritten: entities,
  mentionsWritten: mentions,
  termsWritten: terms,
  peakMemoryMb: Math.round(peakRssMb),
  stackCpuSecondsPerDocument: Number((cpuSeconds / docs).toFixed(4)),
  target: { seconds: 600, lost: 0 },
  costPerMillionDocumentsUsd: { nerve: nerveCost, comprehendAsync: comprehendUsdPerMillion(texts) },
  costLeavesOut: 'the word index (OpenSearch Serverless): billed by capacity-unit hours, with a floor while the collection exists (docs/architecture.md), not per document',
};
console.log(JSON.stringify(report, null, 1));
writeResult(`batch-${args.model.split('/').pop()}`, report);
rmSync(scratch, { recursive: true, force: true });
console.log(`the index stays in ${localDir} (npm run bench:search -- --index ${localDir})`);
