/**
 * The batch path against the emulators (dynalite, fauxqs S3) with real SDK calls:
 * formats, duplicates, out-of-order events, overwrite, delete, unreadable files.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Change } from '../../lambdas/batch/events.js';
import { processChange, type BatchContext } from '../../lambdas/batch/process.js';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { getDocument, getEntities } from '../../lambdas/index/store.js';
import type { BatchContext as Ctx } from '../../lambdas/batch/process.js';

/** A document's entities, as the documents route reads them: through its record. */
const entitiesOf = async (c: Ctx, id: string) => {
  const record = await getDocument(c.store, id);
  return record ? (await getEntities(c.store, record)).entities : [];
};
import type { Emulators } from '../../local/emulators.js';
import { batchEnvironment, BUCKET, frequency, nextSequencer, postings, put } from '../helpers/batch.js';
import { makePdf } from '../helpers/pdf.js';

let emulators: Emulators;
let ctx: BatchContext;
beforeAll(async () => {
  ({ emulators, ctx } = await batchEnvironment());
});
afterAll(async () => {
  await ctx?.model.release();
  await emulators?.stop();
});

const STORY = 'Anna Kowalczyk of Halvard Bank met Ravi Mehta in Port Avery. Kowalczyk said Halvard Bank would grow.';

describe('batch processing', () => {
  it('indexes a text file: record, resolved entities with mentions, postings', async () => {
    const change = await put(ctx, 'incoming/story one.txt', STORY);
    expect(await processChange(ctx, change)).toBe('indexed');
    const id = documentIdOf(BUCKET, 'incoming/story one.txt');
    const record = await getDocument(ctx.store, id);
    expect(record).toMatchObject({ status: 'indexed', key: 'incoming/story one.txt', model: { name: 'tiny' } });
    const entities = await entitiesOf(ctx, id);
    expect(entities.find((e) => e.key === 'anna kowalczyk')?.type).toBe('PER');
    // Both mentions of the bank, under one entity, with code-point offsets into the text.
    const bank = entities.find((e) => e.key === 'halvard bank')!;
    expect(bank.mentions.map((m) => Array.from(STORY).slice(m.start, m.end).join(''))).toEqual(['Halvard Bank', 'Halvard Bank']);
    expect(await postings(ctx, 'PER', 'anna kowalczyk')).toEqual([id]);
    expect(await postings(ctx, 'ORG', 'halvard bank')).toEqual([id]);
  });

  it('ignores a duplicate and an out-of-order event', async () => {
    const key = 'incoming/dup.txt';
    const first = await put(ctx, key, 'Tomas Berg visited Osterholm.');
    expect(await processChange(ctx, first)).toBe('indexed');
    expect(await processChange(ctx, first)).toBe('stale');
    const older: S3Change = { ...first, sequencer: '00000000000000AA' };
    expect(await processChange(ctx, older)).toBe('stale');
    expect(await postings(ctx, 'PER', 'tomas berg')).toEqual([documentIdOf(BUCKET, key)]);
    // Re-indexing the same file (a newer event, same content) does not count it twice.
    expect(await processChange(ctx, { ...first, sequencer: nextSequencer() })).toBe('indexed');
    expect(await frequency(ctx, 'PER', 'tomas berg')).toBe(1);
  });

  it('replaces an overwritten file\'s entities, leaving nothing stale', async () => {
    const key = 'incoming/overwrite.txt';
    const id = documentIdOf(BUCKET, key);
    await processChange(ctx, await put(ctx, key, 'Mira Osei joined Tessaro Motors.'));
    expect(await postings(ctx, 'PER', 'mira osei')).toContain(id);
    await processChange(ctx, await put(ctx, key, 'Jon Hale joined Lumen Group.'));
    expect(await postings(ctx, 'PER', 'mira osei')).not.toContain(id);
    expect(await postings(ctx, 'ORG', 'tessaro motors')).not.toContain(id);
    expect(await postings(ctx, 'PER', 'jon hale')).toContain(id);
    expect((await entitiesOf(ctx, id)).map((e) => e.key).sort()).toEqual(['jon hale', 'lumen group']);
  });

  it('removes a deleted file\'s entities and keeps a tombstone against late events', async () => {
    const key = 'incoming/delete-me.txt';
    const id = documentIdOf(BUCKET, key);
    const created = await put(ctx, key, 'Lena Dufresne spoke in Brindle.');
    await processChange(ctx, created);
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const removed: S3Change = { kind: 'removed', bucket: BUCKET, key, sequencer: nextSequencer(), eventTime: new Date().toISOString() };
    expect(await processChange(ctx, removed)).toBe('removed');
    expect(await postings(ctx, 'PER', 'lena dufresne')).not.toContain(id);
    expect(await frequency(ctx, 'PER', 'lena dufresne')).toBe(0);
    expect(await entitiesOf(ctx, id)).toEqual([]);
    expect((await getDocument(ctx.store, id))?.status).toBe('deleted');
    expect(await processChange(ctx, created)).toBe('stale'); // the create arriving late changes nothing
  });

  it('follows what the bucket holds, not what the event says: a non-current version deleted, a delete marker removed', async () => {
    const key = 'incoming/versioned.txt';
    const id = documentIdOf(BUCKET, key);
    await processChange(ctx, await put(ctx, key, 'Lena Dufresne spoke in Brindle.'));
    // Deleting a non-current version: an ObjectRemoved event, while the current object stays.
    const oldVersionRemoved: S3Change = { kind: 'removed', bucket: BUCKET, key, versionId: 'v-old', sequencer: nextSequencer(), eventTime: new Date().toISOString() };
    expect(await processChange(ctx, oldVersionRemoved)).toBe('indexed');
    expect((await entitiesOf(ctx, id)).map((e) => e.key)).toContain('lena dufresne');
    // The current version deleted (a delete marker), then the marker removed: the object is back, and S3 sends only ObjectRemoved events.
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await processChange(ctx, { ...oldVersionRemoved, versionId: undefined, sequencer: nextSequencer() })).toBe('removed');
    await ctx.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'Lena Dufresne spoke in Brindle.' }));
    expect(await processChange(ctx, { ...oldVersionRemoved, versionId: 'v-marker', sequencer: nextSequencer() })).toBe('indexed');
    expect((await getDocument(ctx.store, id))?.status).toBe('indexed');
    expect(await postings(ctx, 'PER', 'lena dufresne')).toContain(id);
  });

  it('indexes JSON lines one document per line and records the bad line as failed', async () => {
    const key = 'incoming/batch.jsonl';
    await processChange(ctx, await put(ctx, key, '{"text": "Ravi Mehta met Anna Kowalczyk."}\n{broken\n"Quill Corp opened in Vale."\n'));
    const line1 = await getDocument(ctx.store, documentIdOf(BUCKET, key, 1));
    const line2 = await getDocument(ctx.store, documentIdOf(BUCKET, key, 2));
    const line3 = await getDocument(ctx.store, documentIdOf(BUCKET, key, 3));
    expect(line1).toMatchObject({ status: 'indexed', line: 1 });
    expect(line2).toMatchObject({ status: 'failed', line: 2, reason: expect.stringMatching(/not valid JSON/) });
    expect(line3).toMatchObject({ status: 'indexed', line: 3 });
    expect((await getDocument(ctx.store, documentIdOf(BUCKET, key)))?.childLines).toEqual([1, 2, 3]);
  });

  it('reads every supported format', async () => {
    const files: Array<[string, string | Uint8Array]> = [
      ['incoming/a.md', '# Tomas Berg\n\nTomas Berg visited *Osterholm*.'],
      ['incoming/a.html', '<p>Tomas Berg visited <b>Osterholm</b>.</p>'],
      ['incoming/a.json', '{"title": "Visit", "text": "Tomas Berg visited Osterholm."}'],
      ['incoming/a.pdf', makePdf('Tomas Berg visited Osterholm.')],
    ];
    for (const [key, body] of files) {
      expect(await processChange(ctx, await put(ctx, key, body)), key).toBe('indexed');
      expect((await entitiesOf(ctx, documentIdOf(BUCKET, key))).map((e) => e.key), key).toContain('tomas berg');
    }
  });

  it('marks a document the model cannot finish within its budget as failed, and indexes the rest of its file', async () => {
    const long = Array.from({ length: 900 }, (_, i) => `Anna Kowalczyk met Ravi Mehta in Port Avery on day ${i}.`).join(' ');
    const key = 'incoming/budget.jsonl';
    const slow = { ...ctx, documentSeconds: 0.05 }; // several model calls' worth for the long line, less than one
    expect(await processChange(slow, await put(ctx, key, `${JSON.stringify({ text: long })}\n{"text": "Tomas Berg visited Osterholm."}\n`))).toBe('indexed');
    expect(await getDocument(ctx.store, documentIdOf(BUCKET, key, 1))).toMatchObject({ status: 'failed', reason: expect.stringMatching(/took longer than its time budget \(stopped after \d+ tokens\)/) });
    expect((await getDocument(ctx.store, documentIdOf(BUCKET, key, 1)))!.reason).not.toMatch(/Kowalczyk/);
    expect(await getDocument(ctx.store, documentIdOf(BUCKET, key, 2))).toMatchObject({ status: 'indexed' });
    const whole = 'incoming/budget.txt';
    expect(await processChange(slow, await put(ctx, whole, long))).toBe('failed');
  });

  it('marks files that can never be read as failed, with the reason, instead of retrying', async () => {
    const cases: Array<[string, string | Uint8Array, RegExp]> = [
      ['incoming/x.exe', 'MZ', /unsupported file type/],
      ['incoming/bad.pdf', '%PDF-1.4 nonsense', /PDF cannot be read/],
      ['incoming/bin.txt', new Uint8Array([1, 0, 2, 0]), /binary data/],
      ['incoming/huge.txt', 'x'.repeat(1024 * 1024 + 1), /over the limit of 1048576 bytes/],
    ];
    for (const [key, body, reason] of cases) {
      expect(await processChange(ctx, await put(ctx, key, body)), key).toBe('failed');
      expect(await getDocument(ctx.store, documentIdOf(BUCKET, key)), key).toMatchObject({ status: 'failed', reason: expect.stringMatching(reason) });
    }
  });
});
