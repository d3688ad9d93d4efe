/**
 * npm run bench:batch [-- --model ensemble|small --data DIR --limit N]
 *
 * Ingests every Reuters-21578 story with a body (19,043 files) through the local stack,
 * exactly as a user would (`nerve ingest` into the running stack), and reports
 * documents/s, tokens/s, entities written, time to fully indexed, the stack's peak
 * memory, whether anything was lost, and the AWS cost per million documents beside
 * Amazon Comprehend's asynchronous entity detection for the same characters.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { ingest } from '../cli/ingest.js';
import { tokenize } from '../lambdas/engine/tokenize.js';
import { benchArgs, machine, repoRoot, writeResult } from './lib/data.js';
import { writeReutersFiles } from './reuters-to-files.js';

const args = benchArgs({ model: { type: 'string', default: 'ensemble' }, limit: { type: 'string', default: '0' } });
const scratch = mkdtempSync(join(tmpdir(), 'nerve-bench-batch-'));
const folder = join(scratch, 'reuters');
writeReutersFiles(args.data, folder);
let files = readdirSync(folder).sort((a, b) => Number.parseInt(a) - Number.parseInt(b));
if (Number(args.limit) > 0) {
  for (const f of files.slice(Number(args.limit))) rmSync(join(folder, f));
  files = files.slice(0, Number(args.limit));
}
let chars = 0;
let tokens = 0;
for (const f of files) {
  const text = readFileSync(join(folder, f), 'utf8');
  chars += Array.from(text).length;
  for (const _ of tokenize(text)) tokens++;
}
console.log(`${files.length} stories, ${tokens.toLocaleString('en')} tokens, ${chars.toLocaleString('en')} characters; batch model ${args.model}`);

// The local stack, as `npm start` runs it, in its own process (its memory is what we watch).
// Its index stays afterwards: `npm run bench:search` measures search latency over it.
const localDir = join(repoRoot, 'bench', 'data', `index-${args.model.split('/').pop()}`);
rmSync(localDir, { recursive: true, force: true });
const stack = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'local', 'main.ts')], {
  cwd: repoRoot,
  env: { ...process.env, PORT: '0', NERVE_LOCAL_DIR: localDir, NERVE_INBOX: join(scratch, 'inbox'), NERVE_BATCH_MODEL: args.model },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  let out = '';
  stack.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    if (/local stack on/.test(out)) resolve();
  });
  stack.on('exit', (code) => reject(new Error(`local stack exited with ${code}`)));
});
let peakRssMb = 0;
const sampler = setInterval(() => {
  try {
    const status = readFileSync(`/proc/${stack.pid}/status`, 'utf8');
    peakRssMb = Math.max(peakRssMb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    /* not on Linux: no memory figure */
  }
}, 1000);

const started = Date.now();
const result = await ingest({ paths: [folder], localConfig: join(localDir, 'local.json'), timeoutSeconds: 3600 });
const seconds = (Date.now() - started) / 1000;

// Count what is in the index: zero lost means every uploaded file has a record.
const config = JSON.parse(readFileSync(join(localDir, 'local.json'), 'utf8'));
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: config.dynamoEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
let records = 0;
let indexed = 0;
let entities = 0;
let mentions = 0;
for await (const page of paginateScan({ client: db }, { TableName: config.table, FilterExpression: 'sk = :meta', ExpressionAttributeValues: { ':meta': 'META' } })) {
  for (const item of page.Items ?? []) {
    records++;
    if (item.status === 'indexed') indexed++;
    entities += (item.entityCount as number) ?? 0;
  }
}
for await (const page of paginateScan({ client: db }, { TableName: config.table, FilterExpression: 'begins_with(sk, :ent)', ExpressionAttributeValues: { ':ent': 'ENT#' } })) {
  for (const item of page.Items ?? []) for (const e of item.entities as Array<{ mentions: unknown[] }>) mentions += e.mentions.length;
}
clearInterval(sampler);
stack.kill('SIGINT');
await new Promise((r) => stack.once('exit', r));

// AWS cost per million documents, from the measured compute (see bench/lib/cost.ts for prices).
const docs = files.length;
const lambdaGb = 3538 / 1024; // the batch function: two vCPUs, like this machine's two cores
const gbSecondsPerDoc = (seconds / docs) * lambdaGb;
// Write units per document, assuming items under 1 KB (a Reuters posting is about 250 bytes):
// record, chunks, lease; per entity a posting and its rank-index copy, a frequency update and
// a name update (those two only when new, so this is an upper bound on recurring names).
const writesPerDoc = 6 + 4 * (entities / docs);
const aws = {
  lambdaComputePerMillion: gbSecondsPerDoc * 0.0000166667 * 1e6,
  lambdaRequestsPerMillion: (1e6 / 10) * 0.2e-6, // ten documents per invocation (lib/ingest-pipeline.ts)
  dynamoWritesPerMillion: writesPerDoc * 1e6 * 0.625e-6, // on-demand, $0.625 per million write request units
  s3AndSqsPerMillion: 1e6 * (0.0004 / 1000 + 3 * 0.4e-6), // one GET; send, receive, delete
};
const awsTotal = Object.values(aws).reduce((a, b) => a + b, 0);
const units = files.map((f) => Math.max(3, Math.ceil(Array.from(readFileSync(join(folder, f), 'utf8')).length / 100)));
const comprehendPerMillion = (units.reduce((a, b) => a + b, 0) / docs) * 0.0001 * 1e6;

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
  peakMemoryMb: Math.round(peakRssMb),
  target: { seconds: 900, lost: 0 },
  costPerMillionDocumentsUsd: { nerve: { ...aws, total: awsTotal }, comprehendAsync: comprehendPerMillion },
};
console.log(JSON.stringify(report, null, 1));
writeResult(`batch-${args.model.split('/').pop()}`, report);
rmSync(scratch, { recursive: true, force: true });
console.log(`the index stays in ${localDir} (npm run bench:search -- --index ${localDir})`);
