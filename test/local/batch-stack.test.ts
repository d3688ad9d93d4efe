/**
 * The local stack's batch path end to end, over real processes and real SDK calls:
 * `nerve ingest` uploads through the S3 event proxy, the queue poller runs the batch
 * handler, GET /v1/documents/{id} shows the result; the inbox/ folder does the same.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { startLocalStack, type RunningStack } from '../../tools/local-stack.js';
import { fixtures, repoRoot } from '../helpers/paths.js';

const tiny = join(fixtures, 'tiny-model');
const dir = mkdtempSync(join(tmpdir(), 'nerve-local-'));
const env = { NERVE_MODEL: tiny, NERVE_BATCH_MODEL: tiny, NERVE_LOCAL_DIR: join(dir, '.nerve'), NERVE_INBOX: join(dir, 'inbox') };
let stack: RunningStack;

beforeAll(async () => {
  stack = await startLocalStack(env);
});
afterAll(async () => {
  await stack?.stop();
});

const doc = async (key: string) => (await fetch(`${stack.url}/v1/documents/${documentIdOf('nerve-documents', key)}`)).json();

describe('local batch path', () => {
  it('nerve ingest uploads a folder, waits for indexing and reports failures with reasons', async () => {
    const folder = join(dir, 'docs');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), 'Anna Kowalczyk met Ravi Mehta in Port Avery.');
    writeFileSync(join(folder, 'b.md'), '# Visit\n\nTomas Berg visited *Osterholm*.');
    writeFileSync(join(folder, 'c.jsonl'), '{"text": "Mira Osei joined Tessaro Motors."}\n{oops\n');
    writeFileSync(join(folder, 'd.exe'), 'MZ');
    const run = spawnSync(process.execPath, [join(repoRoot, 'bin', 'nerve.mjs'), 'ingest', folder], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).toMatch(/3 indexed, 2 failed/); // a.txt, b.md, line 1 of c.jsonl; d.exe, line 2
    expect(run.stderr).toMatch(/failed: incoming\/docs\/d\.exe: unsupported file type ".exe"/);
    expect(run.stderr).toMatch(/failed: incoming\/docs\/c\.jsonl line 2: line 2 is not valid JSON/);
    expect(run.status).toBe(3);

    const a = await doc('incoming/docs/a.txt');
    expect(a.status).toBe('indexed');
    expect(a.entities.map((e: { normalized: string }) => e.normalized).sort()).toEqual(['anna kowalczyk', 'port avery', 'ravi mehta']);
    expect((await doc('incoming/docs/d.exe')).status).toBe('failed');
  });

  it('indexes a file dropped into inbox/', async () => {
    mkdirSync(env.NERVE_INBOX, { recursive: true });
    writeFileSync(join(env.NERVE_INBOX, 'dropped.txt'), 'Jon Hale of Lumen Group spoke in Vale.');
    await expect.poll(async () => (await doc('incoming/dropped.txt')).status, { timeout: 30_000, interval: 300 }).toBe('indexed');
  });

  it('searches what it indexed over HTTP, and refuses bad searches with 4xx', async () => {
    const post = (body: unknown, type = 'application/json') => fetch(`${stack.url}/v1/search`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const res = await post({ query: 'Anna Kowalczyk' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.results.map((r: { key: string }) => r.key)).toContain('incoming/docs/a.txt');
    for (const [bad, status] of [[{ query: '' }, 400], [{ query: 'x', limit: 500 }, 400], [{ query: 'x', cursor: 'tampered.AAAAAAAAAAAAAAAAAAAAAA' }, 400], [{ query: 'x', types: ['NOPE'] }, 400], ['{oops', 400], [{ query: 'y'.repeat(600) }, 413]] as const) {
      const r = await post(bad);
      expect(r.status, JSON.stringify(bad).slice(0, 40)).toBe(status);
      expect((await r.json()).error.message).toEqual(expect.any(String));
    }
    expect((await post('{"query": "x"}', 'text/plain')).status).toBe(415);
  });

  it('nerve search finds the running stack and prints ranked documents with their matches', () => {
    const nerve = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'nerve.mjs'), 'search', ...args], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    const run = nerve('Anna Kowalczyk', '--limit', '5');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/query entities: Anna Kowalczyk \(PER, /);
    expect(run.stdout).toMatch(/ 1\. [\d.]+ {2}incoming\/docs\/a\.txt/);
    const json = JSON.parse(nerve('Anna Kowalczyk', '--json').stdout);
    expect(json.results[0].matches[0].mentions.length).toBeGreaterThan(0);
    const bad = nerve('x', '--limit', '500');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/answered 400: .*limit/);
  });

  it('answers an unknown or malformed document id with 404 and 400', async () => {
    expect((await fetch(`${stack.url}/v1/documents/d000000000000000000000000`)).status).toBe(404);
    const bad = await fetch(`${stack.url}/v1/documents/..%2Fetc`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_document_id');
  });
});
