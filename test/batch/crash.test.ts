/**
 * The write protocol under faults caused for real (lambdas/index/PROTOCOL.md): for every
 * write a change makes, the worker dies right before it or right after DynamoDB applied
 * it; the event is then redelivered (the same change, its retry) or overtaken by the next
 * version. Either way the index must end equal, item by item, to a build that never
 * failed, its word index included (a write to it is a write a crash can fall beside).
 * Throttling and unprocessed batch items are caused too.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Change } from '../../lambdas/batch/events.js';
import { processChange, type BatchContext } from '../../lambdas/batch/process.js';
import { createIndexTable } from '../../local/emulators.js';
import { OpenSearchWords } from '../../lambdas/words/opensearch.js';
import { faultyClient, InjectedCrash, type FaultKind } from '../../tools/dynamo-faults.js';
import { differences, snapshot as indexSnapshot } from '../../tools/index-snapshot.js';
import { batchEnvironment, BUCKET } from '../helpers/batch.js';
import type { Emulators } from '../../local/emulators.js';

let emulators: Emulators;
let base: BatchContext;
let tables = 0;
beforeAll(async () => {
  ({ emulators, ctx: base } = await batchEnvironment());
});
afterAll(async () => {
  await base?.model.release();
  await emulators?.stop();
});

const KEY = 'incoming/story.txt';
const LINES = 'incoming/lines.jsonl';
interface Step {
  readonly key: string;
  /** The object's content when the change is processed, or null when it is deleted. */
  readonly body: string | null;
  readonly sequencer: string;
}
const steps: Step[] = [
  { key: KEY, body: 'Anna Kowalczyk of Halvard Bank met Ravi Mehta in Port Avery. Kowalczyk said Halvard Bank would grow.', sequencer: '0000000000000A01' },
  { key: KEY, body: 'Ravi Mehta left Halvard Bank for Quill Corp in Vale.', sequencer: '0000000000000A02' },
  { key: KEY, body: null, sequencer: '0000000000000A03' },
  { key: LINES, body: '{"text": "Tomas Berg visited Osterholm."}\n{"text": "Mira Osei joined Tessaro Motors."}\n{"text": "Jon Hale met Tomas Berg."}\n', sequencer: '0000000000000B01' },
  { key: LINES, body: '{"text": "Jon Hale met Tomas Berg."}\n', sequencer: '0000000000000B02' },
];
const changeOf = (s: Step): S3Change => ({ kind: s.body === null ? 'removed' : 'created', bucket: BUCKET, key: s.key, sequencer: s.sequencer, eventTime: '' });

async function setObject(s: Step): Promise<void> {
  if (s.body === null) await base.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: s.key }));
  else await base.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: s.key, Body: s.body }));
}

/** A fresh index table and a context writing to it through a client that can fail. */
async function freshIndex() {
  const table = `index-${++tables}`;
  await createIndexTable(emulators.dynamo, table);
  const faults = faultyClient(DynamoDBDocumentClient.from(emulators.dynamo, { marshallOptions: { removeUndefinedValues: true } }));
  const words = faults.words(new OpenSearchWords({ endpoint: emulators.wordsEndpoint, index: table }));
  // The lease of an attempt that died is given back (its expiry, without the wait): leases have tests of their own.
  const ctx: BatchContext = { ...base, store: { client: faults.client, table, words }, leaseSeconds: 30 };
  return { table, faults, ctx };
}

/** The table and its word index. */
const snapshot = (client: DynamoDBDocumentClient, table: string) => indexSnapshot(client, table, { words: { endpoint: emulators.wordsEndpoint, index: table } });

async function run(ctx: BatchContext, s: Step) {
  await setObject(s);
  return processChange(ctx, changeOf(s));
}

/** The index after `done`, built without a fault. */
async function reference(done: readonly Step[]) {
  const { table, ctx } = await freshIndex();
  for (const s of done) await run(ctx, s);
  return snapshot(base.store.client, table);
}

describe('the index after a crash at any write', () => {
  for (const [i, step] of steps.entries()) {
    it(`step ${i + 1} (${step.body === null ? 'delete' : 'write'} ${step.key} @${step.sequencer}): a retry completes what a crash left, for every write and both sides of it`, async () => {
      const expected = await reference(steps.slice(0, i + 1));
      // The words of what the bucket holds are part of what is compared.
      const words = [...expected].filter(([k]) => k.startsWith('WORDS')).map(([, v]) => (v.versions as string[]).length);
      expect(words, 'one version of words for each live document').toEqual(Array(step.body === null ? 0 : step.key === KEY ? 1 : step.body.trim().split('\n').length).fill(1));
      // How many writes the step makes when nothing fails.
      const probe = await freshIndex();
      for (const s of steps.slice(0, i)) await run(probe.ctx, s);
      const before = probe.faults.calls.get('*') ?? 0;
      await run(probe.ctx, step);
      const writes = (probe.faults.calls.get('*') ?? 0) - before;
      expect(writes).toBeGreaterThan(0);
      let crashes = 0;
      for (let nth = 1; nth <= writes; nth++) {
        for (const kind of ['crash-before', 'crash-after'] as FaultKind[]) {
          const { table, faults, ctx } = await freshIndex();
          for (const s of steps.slice(0, i)) await run(ctx, s);
          faults.arm({ kind, command: '*', nth: (faults.calls.get('*') ?? 0) + nth });
          await expect(run(ctx, step), `${kind} at write ${nth}`).rejects.toBeInstanceOf(InjectedCrash);
          crashes++;
          await run(ctx, step); // the event comes back
          expect(differences(await snapshot(base.store.client, table), expected), `${kind} at write ${nth} of ${writes}`).toEqual([]);
        }
      }
      expect(crashes).toBe(2 * writes);
    }, 120_000);
  }

  it('a version that crashed mid-write and is overtaken by the next is undone by it', async () => {
    const expected = await reference([steps[1]!]); // what the bucket holds at the end, indexed once
    const probe = await freshIndex();
    await run(probe.ctx, steps[0]!);
    const writes = probe.faults.calls.get('*')!;
    for (let nth = 1; nth <= writes; nth++) {
      const { table, faults, ctx } = await freshIndex();
      faults.arm({ kind: 'crash-after', command: '*', nth });
      await run(ctx, steps[0]!).catch((e) => expect(e).toBeInstanceOf(InjectedCrash));
      await run(ctx, steps[1]!); // the overwrite arrives before the first event is redelivered
      expect(await run(ctx, steps[0]!)).toBe('stale'); // and then the first one comes back, late
      expect(differences(await snapshot(base.store.client, table), expected), `crash after write ${nth} of ${writes}`).toEqual([]);
    }
  }, 120_000);

  it('rides out throttling and unprocessed batch items', async () => {
    const expected = await reference(steps.slice(0, 1));
    const { table, faults, ctx } = await freshIndex();
    faults.arm({ kind: 'unprocessed', command: 'BatchWriteCommand', nth: 1 });
    await setObject(steps[0]!);
    expect(await processChange(ctx, changeOf(steps[0]!))).toBe('indexed');
    expect(faults.fired.map((f) => f.kind)).toEqual(['unprocessed']);
    expect(differences(await snapshot(base.store.client, table), expected)).toEqual([]);
    const throttled = await freshIndex();
    throttled.faults.arm({ kind: 'throttle', command: 'UpdateCommand', nth: 2 });
    await expect(processChange(throttled.ctx, changeOf(steps[0]!))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(await processChange(throttled.ctx, changeOf(steps[0]!))).toBe('indexed'); // SQS redelivers it
    expect(differences(await snapshot(base.store.client, throttled.table), expected)).toEqual([]);
  }, 60_000);
});
