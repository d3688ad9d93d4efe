/**
 * npm run bench:chaos [-- --stories 2000 --faults 0.3 --seed 1 --data DIR]
 *
 * The batch path under faults caused for real, at scale: Reuters-21578 stories written,
 * overwritten and deleted in the bucket, their S3 events duplicated, reordered, some
 * dropped where a later event of the same key follows, and delivered to concurrent
 * workers whose DynamoDB client and word index (the local engine, its writes counted as
 * the client's) crash (before a write or after it was applied; the
 * process then stays dead, its lease held until it expires), throttles, leaves batch
 * items unprocessed or has a transaction cancelled at random writes. Every failed delivery comes back, as SQS brings it
 * back. At the end the index is compared item by item with one built once, without
 * faults, from the bucket's final state (tools/index-snapshot.ts: versions, timestamps,
 * tombstones and idle counters aside), its word index with it (one version's words for
 * each live document). Target: 0 differences. Writes bench/results/chaos.json.
 * Transactions a hot counter would cancel on DynamoDB (TransactionConflict) are injected too:
 * the local stack's transactions take turns, so they cannot conflict there.
 *
 * The `small` model tags (this measures the index, not the model); dynalite and fauxqs run
 * in memory on 127.0.0.1.
 */
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Change } from '../lambdas/batch/events.js';
import { processChange, type BatchContext } from '../lambdas/batch/process.js';
import { loadModel } from '../lambdas/engine/load.js';
import { ContendedWriteError, LeaseTakenError } from '../lambdas/shared/errors.js';
import { createBucket, createIndexTable, startEmulators } from '../local/emulators.js';
import { OpenSearchWords } from '../lambdas/words/opensearch.js';
import { faultyClient, InjectedCrash, type FaultKind } from '../tools/dynamo-faults.js';
import { differences, snapshot } from '../tools/index-snapshot.js';
import { reutersStories } from '../tools/reuters.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';

const args = scriptArgs({ stories: { type: 'string', default: '2000' }, faults: { type: 'string', default: '0.3' }, seed: { type: 'string', default: '1' }, workers: { type: 'string', default: '4' } });
const STORIES = Number(args.stories);
const FAULT_RATE = Number(args.faults);
const WORKERS = Number(args.workers);
const BUCKET = 'chaos';
const PREFIX = 'incoming/chaos/';
const LEASE_SECONDS = 2;

let state = Number(args.seed) >>> 0 || 1;
/** xorshift32: the same schedule for the same seed. */
const random = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 2 ** 32;
};
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

const texts: string[] = [];
for (const story of reutersStories(join(args.data, 'reuters21578'))) {
  texts.push(`${story.title}\n\n${story.body}`);
  if (texts.length >= STORIES + 500) break;
}
const keyOf = (i: number) => `${PREFIX}${String(i).padStart(5, '0')}.txt`;

const emulators = await startEmulators();
/** The word index the faulty workers write (each through its own fault wrapper, counted with its DynamoDB writes). */
const chaosWords = new OpenSearchWords({ endpoint: emulators.wordsEndpoint, index: 'chaos' });
await createBucket(emulators.s3, BUCKET);
await createIndexTable(emulators.dynamo, 'chaos');
await createIndexTable(emulators.dynamo, 'clean');
const model = await loadModel('small');
const real = DynamoDBDocumentClient.from(emulators.dynamo, { marshallOptions: { removeUndefinedValues: true } });

let sequence = 0x1000;
const nextSequencer = () => (sequence++).toString(16).toUpperCase().padStart(16, '0');

// The schedule, in phases: what the bucket does (in order), then the deliveries of its events (in any order, some twice).
type Op = { key: string; body: string | null; versionOnly?: boolean };
const phases: Op[][] = [
  Array.from({ length: STORIES }, (_, i) => ({ key: keyOf(i), body: texts[i]! })),
  Array.from({ length: Math.round(STORIES * 0.2) }, () => ({ key: keyOf(Math.floor(random() * STORIES)), body: pick(texts) })),
  Array.from({ length: Math.round(STORIES * 0.1) }, () => ({ key: keyOf(Math.floor(random() * STORIES)), body: null })),
  // Deleted files written again, and removed events of non-current versions (the object stays).
  [
    ...Array.from({ length: Math.round(STORIES * 0.03) }, () => ({ key: keyOf(Math.floor(random() * STORIES)), body: pick(texts) })),
    ...Array.from({ length: Math.round(STORIES * 0.05) }, () => ({ key: keyOf(Math.floor(random() * STORIES)), body: null, versionOnly: true })),
  ],
];

const counts = { events: 0, deliveries: 0, duplicated: 0, dropped: 0, stale: 0, deferred: 0, outcomes: {} as Record<string, number>, faults: {} as Record<FaultKind, number> };
const started = performance.now();
let late: S3Change[] = []; // duplicates held back to arrive in a later phase, out of order
for (const phase of phases) {
  const events: S3Change[] = [];
  for (const op of phase) {
    if (!op.versionOnly) {
      if (op.body === null) await emulators.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: op.key }));
      else await emulators.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: op.key, Body: op.body }));
    }
    events.push({ kind: op.body === null ? 'removed' : 'created', bucket: BUCKET, key: op.key, sequencer: nextSequencer(), eventTime: new Date().toISOString(), ...(op.versionOnly ? { versionId: 'noncurrent' } : {}) });
  }
  counts.events += events.length;
  // Drop an event only where a later one of the same key follows in this phase (S3 to SQS is
  // at least once; the index reads the key's current object, so the later event carries it).
  const lastOfKey = new Map(events.map((e, i) => [e.key, i]));
  const queue: S3Change[] = [...late];
  late = [];
  events.forEach((e, i) => {
    if (lastOfKey.get(e.key) !== i && random() < 0.05) return void counts.dropped++;
    queue.push(e);
    if (random() < 0.1) {
      counts.duplicated++;
      (random() < 0.5 ? queue : late).push(e);
    }
  });
  await deliver(queue);
}
await deliver(late);

/** Concurrent workers take deliveries in random order; a failed delivery comes back later. */
async function deliver(queue: S3Change[]): Promise<void> {
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      let faults = faultyClient(real, { staysDead: true });
      let ctx: BatchContext = { store: { client: faults.client, table: 'chaos', words: faults.words(chaosWords) }, s3: emulators.s3, model, maxObjectBytes: 1 << 24, leaseSeconds: LEASE_SECONDS, workerId: `worker-${w}` };
      while (queue.length > 0) {
        const change = queue.splice(Math.floor(random() * queue.length), 1)[0]!;
        counts.deliveries++;
        if (random() < FAULT_RATE) {
          const kind = pick<FaultKind>(['crash-before', 'crash-after', 'crash-before', 'crash-after', 'throttle', 'unprocessed', 'conflict']);
          // A crash or throttle at one of the change's first 8 writes (a story takes about 8); unprocessed
          // items at its first batch write (its chunks); a conflict at its first transaction (its postings).
          const command = kind === 'unprocessed' ? 'BatchWriteCommand' : kind === 'conflict' ? 'TransactWriteCommand' : '*';
          faults.arm({ kind, command, nth: (faults.calls.get(command) ?? 0) + 1 + (command === '*' ? Math.floor(random() * 8) : 0) });
        } else faults.arm(undefined);
        const firedBefore = faults.fired.length;
        const tally = () => {
          for (const f of faults.fired.slice(firedBefore)) counts.faults[f.kind] = (counts.faults[f.kind] ?? 0) + 1;
        };
        try {
          const outcome = await processChange(ctx, change);
          counts.outcomes[outcome] = (counts.outcomes[outcome] ?? 0) + 1;
        } catch (e) {
          if (e instanceof LeaseTakenError) counts.deferred++;
          else if (!(e instanceof InjectedCrash) && !(e instanceof ContendedWriteError) && (e as Error).name !== 'ProvisionedThroughputExceededException') throw e;
          queue.push(change); // SQS brings it back
          tally();
          if (faults.dead) {
            // A new process, with its own id: the dead one's lease must expire first.
            faults = faultyClient(real, { staysDead: true });
            ctx = { ...ctx, store: { ...ctx.store, client: faults.client, words: faults.words(chaosWords) }, workerId: `worker-${w}-${counts.deliveries}` };
          }
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        tally();
      }
    }),
  );
}
const chaosSeconds = (performance.now() - started) / 1000;

// The clean build: the bucket's final state, each object indexed once.
const cleanCtx: BatchContext = { store: { client: real, table: 'clean', words: new OpenSearchWords({ endpoint: emulators.wordsEndpoint, index: 'clean' }) }, s3: emulators.s3, model, maxObjectBytes: 1 << 24, leaseSeconds: 60, workerId: 'clean' };
let live = 0;
for (let token: string | undefined, more = true; more; ) {
  const page = await emulators.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX, ContinuationToken: token }));
  for (const o of page.Contents ?? []) {
    live++;
    await processChange(cleanCtx, { kind: 'created', bucket: BUCKET, key: o.Key!, sequencer: nextSequencer(), eventTime: '' });
  }
  token = page.NextContinuationToken;
  more = !!page.IsTruncated;
}
const wordsOf = (index: string) => ({ endpoint: emulators.wordsEndpoint, index });
const [built, clean] = await Promise.all([snapshot(real, 'chaos', { ignoreVersions: true, words: wordsOf('chaos') }), snapshot(real, 'clean', { ignoreVersions: true, words: wordsOf('clean') })]);
const diff = differences(built, clean);
const injected = Object.values(counts.faults).reduce((a, b) => a + b, 0);
console.log(`${counts.events} events, ${counts.deliveries} deliveries, ${injected} faults injected (${JSON.stringify(counts.faults)}), ${counts.duplicated} duplicated, ${counts.dropped} dropped, ${counts.deferred} deferred on a held lease`);
console.log(`${live} live documents; index: ${built.size} items against ${clean.size} in the clean build; ${diff.length} differences; ${chaosSeconds.toFixed(1)} s under faults`);
for (const d of diff.slice(0, 5)) console.log(JSON.stringify(d));
writeResult('chaos', {
  measuredWith: `npm run bench:chaos -- --stories ${STORIES} --faults ${FAULT_RATE} --seed ${args.seed} --workers ${WORKERS}`,
  machine: machine(),
  stories: STORIES,
  ...counts,
  injectedFaults: injected,
  liveDocuments: live,
  items: { underFaults: built.size, clean: clean.size },
  differences: diff.length,
  firstDifferences: diff.slice(0, 20),
  secondsUnderFaults: Number(chaosSeconds.toFixed(1)),
});
await model.release();
await emulators.stop();
process.exit(diff.length === 0 ? 0 : 1);
