/**
 * `nerve ingest` into the real local stack (started here on 127.0.0.1, tiny model): each
 * document's id on standard output, the --json summary, and a wait that ends only once
 * the index holds the version just uploaded, however soon after the one before it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSettledUpload, WAIT_WINDOW, waitPauseMs } from '../../cli/ingest.js';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { startLocalStack, type RunningStack } from '../../tools/local-stack.js';
import { fixtures } from '../helpers/paths.js';
import { runNerve } from './run-nerve.js';

const tiny = join(fixtures, 'tiny-model');
const dir = mkdtempSync(join(tmpdir(), 'nerve-ingest-'));
const env = { NERVE_MODEL: tiny, NERVE_BATCH_MODEL: tiny, NERVE_LOCAL_DIR: join(dir, '.nerve'), NERVE_INBOX: join(dir, 'inbox') };
const BUCKET = 'nerve-documents'; // the local stack's
let stack: RunningStack;

beforeAll(async () => {
  stack = await startLocalStack(env);
});
afterAll(async () => {
  await stack?.stop();
});

const ingest = (...args: string[]) => runNerve(['ingest', ...args], { cwd: dir, env, timeoutMs: 120_000 });
const idOf = (key: string, line?: number) => documentIdOf(BUCKET, key, line);

describe('nerve ingest', () => {
  it('prints each document\'s id, status and key, a JSON-lines file\'s documents one by one; exit 3 when one failed', async () => {
    const folder = join(dir, 'docs');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), 'Anna Kowalczyk met Ravi Mehta in Port Avery.');
    writeFileSync(join(folder, 'b.jsonl'), '{"text": "Mira Osei joined Tessaro Motors."}\n{oops\n');
    const run = await ingest(folder);
    expect(run.status, run.stderr).toBe(3);
    expect(run.stdout.trimEnd().split('\n').sort()).toEqual(
      [
        `${idOf('incoming/docs/a.txt')}\tindexed\tincoming/docs/a.txt`,
        `${idOf('incoming/docs/b.jsonl', 1)}\tindexed\tincoming/docs/b.jsonl line 1`,
        `${idOf('incoming/docs/b.jsonl', 2)}\tfailed\tincoming/docs/b.jsonl line 2`,
      ].sort(),
    );
    expect(run.stderr).toMatch(/2 indexed, 1 failed/);
  });

  it('--json: one summary on standard output; a re-upload is waited for until the index holds the new version', async () => {
    const folder = join(dir, 'again');
    mkdirSync(folder);
    const file = join(folder, 'c.txt');
    writeFileSync(file, 'Tomas Berg visited Osterholm.');
    expect((await ingest(folder, '--json')).status).toBe(0);
    // At once, new content under the same key: the record of the first version must not end the wait.
    writeFileSync(file, 'Jon Hale of Lumen Group spoke in Vale.');
    const run = await ingest(folder, '--json');
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toEqual({ indexed: 1, failed: 0, seconds: expect.any(Number), documents: [{ documentId: idOf('incoming/again/c.txt'), key: 'incoming/again/c.txt', status: 'indexed', entities: 3 }] });
    const doc = await (await fetch(`${stack.url}/v1/documents/${summary.documents[0].documentId}`)).json();
    expect(doc.entities.map((e: { normalized: string }) => e.normalized).sort()).toEqual(['jon hale', 'lumen group', 'vale']);
  });
});

describe('when an upload counts as indexed', () => {
  const record = (status: 'indexed' | 'failed' | 'deleted', sequencer: string, versionId?: string) => ({ status, sequencer, ...(versionId ? { versionId } : {}) });

  it('a versioned bucket (a deployed stack): when the record names the version S3 gave the upload, whatever its sequencer or time', () => {
    const upload = { key: 'incoming/a.txt', versionId: 'v2', sequencerBefore: '00A1' };
    expect(isSettledUpload(record('indexed', '00A1', 'v1'), upload)).toBe(false); // the version before
    expect(isSettledUpload(record('indexed', '00A2', 'v2'), upload)).toBe(true);
    expect(isSettledUpload(record('failed', '00A2', 'v2'), upload)).toBe(true);
    expect(isSettledUpload(record('deleted', '00A2', 'v2'), upload)).toBe(false);
  });

  it('a bucket without versions (the local stack): when the record\'s sequencer is no longer the one before the upload', () => {
    expect(isSettledUpload(record('indexed', '00A1'), { key: 'k', sequencerBefore: '00A1' })).toBe(false);
    expect(isSettledUpload(record('indexed', '00A2'), { key: 'k', sequencerBefore: '00A1' })).toBe(true);
    expect(isSettledUpload(record('indexed', '00A1'), { key: 'k' })).toBe(true); // no record before: the first one is the upload's
  });
});

describe('how much the wait reads', () => {
  it('a round reads at most WAIT_WINDOW records and pauses so that it reads 250 a second at most; a small upload waits half a second', () => {
    expect(WAIT_WINDOW).toBe(500);
    expect(waitPauseMs(1)).toBe(500);
    expect(waitPauseMs(WAIT_WINDOW)).toBe(2000);
    expect(WAIT_WINDOW / (waitPauseMs(WAIT_WINDOW) / 1000)).toBe(250);
  });
});
