/**
 * The local stack keeps what it was given: `npm start` (local/main.ts) in a child process,
 * with work still pending (the one batch environment stuck on a document, by the test
 * hook NERVE_LOCAL_TEST_HANG_KEY, and uploads and a deletion queued behind it) is killed
 * with SIGKILL, or stopped with Ctrl-C, and started again on the same folder: every
 * upload ends indexed and the deletion ends deleted. And Ctrl-C stops it within 10 s
 * although an environment is stuck in a synchronous loop.
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { localS3Config, type LocalStackFile } from '../../local/config.js';
import { startLocalStack, type RunningStack } from '../../tools/local-stack.js';
import { fixtures } from '../helpers/paths.js';

const tiny = join(fixtures, 'tiny-model');
const HANG = 'hang-';
const running: RunningStack[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) if (s.process.exitCode === null && s.process.signalCode === null) s.process.kill('SIGKILL');
});

/** A fresh folder for the stack's data, and the environment that starts it there with one batch environment. */
function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-durable-'));
  return { NERVE_MODEL: tiny, NERVE_BATCH_MODEL: tiny, NERVE_LOCAL_DIR: join(dir, '.nerve'), NERVE_INBOX: join(dir, 'inbox'), NERVE_LOCAL_BATCH_CONCURRENCY: '1' };
}

async function start(env: Record<string, string>) {
  const stack = await startLocalStack(env);
  running.push(stack);
  const file = JSON.parse(readFileSync(join(env.NERVE_LOCAL_DIR!, 'local.json'), 'utf8')) as LocalStackFile;
  const s3 = new S3Client({ ...localS3Config(file.s3Endpoint), maxAttempts: 1 });
  let stderr = '';
  stack.process.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return {
    stack,
    put: (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: file.bucket, Key: key, Body: body })),
    del: (key: string) => s3.send(new DeleteObjectCommand({ Bucket: file.bucket, Key: key })),
    doc: async (key: string) => (await fetch(`${stack.url}/v1/documents/${documentIdOf(file.bucket, key)}`)).json(),
    /** Resolves once the stuck environment says it is stuck. */
    hung: (key: string) => expect.poll(() => stderr, { timeout: 20_000, interval: 100 }).toContain(`NERVE_LOCAL_TEST_HANG_KEY: hanging on ${key}`),
  };
}

function exited(stack: RunningStack): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (stack.process.exitCode !== null || stack.process.signalCode !== null) return resolve({ code: stack.process.exitCode, signal: stack.process.signalCode });
    stack.process.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

const names = (doc: { entities?: { normalized: string }[] }) => (doc.entities ?? []).map((e) => e.normalized).sort();
const settle = { timeout: 30_000, interval: 300 };

describe('the local stack keeps what it was given', () => {
  it('after SIGKILL with uploads, an update and a deletion pending, indexes the uploads and removes the deleted file at the next start', async () => {
    const env = scratch();
    const first = await start({ ...env, NERVE_LOCAL_TEST_HANG_KEY: HANG });
    await first.put('incoming/keep.txt', 'Anna Kowalczyk met Ravi Mehta in Port Avery.');
    await first.put('incoming/gone.txt', 'Tomas Berg visited Osterholm.');
    await expect.poll(async () => (await first.doc('incoming/keep.txt')).status, settle).toBe('indexed');
    await expect.poll(async () => (await first.doc('incoming/gone.txt')).status, settle).toBe('indexed');
    // The one environment gets stuck on this file (holding its lease); what follows waits in the queue.
    await first.put(`incoming/${HANG}1.txt`, 'Mira Osei joined Tessaro Motors.');
    await first.hung(`incoming/${HANG}1.txt`);
    await first.put('incoming/new.txt', 'Jon Hale of Lumen Group spoke in Vale.');
    await first.put('incoming/keep.txt', 'Quill Corp opened in Kestrel Bay.');
    await first.del('incoming/gone.txt');
    expect((await first.doc('incoming/new.txt')).status).not.toBe('indexed');
    first.stack.process.kill('SIGKILL');
    expect((await exited(first.stack)).signal).toBe('SIGKILL');

    const second = await start(env);
    await expect.poll(async () => (await second.doc('incoming/new.txt')).status, settle).toBe('indexed');
    await expect.poll(async () => (await second.doc(`incoming/${HANG}1.txt`)).status, settle).toBe('indexed');
    await expect.poll(async () => (await second.doc('incoming/gone.txt')).status, settle).toBe('deleted');
    await expect.poll(async () => names(await second.doc('incoming/keep.txt')), settle).toEqual(['kestrel bay', 'quill corp']);
    expect(names(await second.doc('incoming/new.txt'))).toEqual(['jon hale', 'lumen group', 'vale']);
    expect(await second.stack.stop()).toBe(0);
  }, 120_000);

  it('Ctrl-C stops it within 10 s while an environment is stuck in a synchronous loop, and the next start indexes what was pending', async () => {
    const env = scratch();
    const first = await start({ ...env, NERVE_LOCAL_TEST_HANG_KEY: HANG });
    await first.put(`incoming/${HANG}2.txt`, 'Mira Osei joined Tessaro Motors.');
    await first.hung(`incoming/${HANG}2.txt`);
    await first.put('incoming/queued.txt', 'Anna Kowalczyk met Ravi Mehta in Port Avery.');
    const t0 = performance.now();
    first.stack.process.kill('SIGINT');
    const out = await Promise.race([exited(first.stack), new Promise<'still running'>((r) => setTimeout(() => r('still running'), 12_000))]);
    const seconds = (performance.now() - t0) / 1000;
    expect(out, `after ${seconds.toFixed(1)} s`).not.toBe('still running');
    expect(seconds).toBeLessThan(10);
    expect((out as { signal: string | null }).signal).toBeNull(); // it exited by itself

    const second = await start(env);
    await expect.poll(async () => (await second.doc('incoming/queued.txt')).status, settle).toBe('indexed');
    await expect.poll(async () => (await second.doc(`incoming/${HANG}2.txt`)).status, settle).toBe('indexed');
    expect(await second.stack.stop()).toBe(0);
  }, 120_000);

  it('a second Ctrl-C exits at once', async () => {
    const first = await start({ ...scratch(), NERVE_LOCAL_TEST_HANG_KEY: HANG });
    await first.put(`incoming/${HANG}3.txt`, 'Mira Osei joined Tessaro Motors.');
    await first.hung(`incoming/${HANG}3.txt`);
    const t0 = performance.now();
    first.stack.process.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    first.stack.process.kill('SIGINT');
    const out = await Promise.race([exited(first.stack), new Promise<'still running'>((r) => setTimeout(() => r('still running'), 5_000))]);
    expect(out).toEqual({ code: 1, signal: null });
    expect(performance.now() - t0).toBeLessThan(2_500);
  }, 60_000);
});
