/**
 * Real responses of every route of the local stack (the same handlers as the deployed
 * API), successes and refusals, checked against docs/openapi.json. The stack runs in a
 * child process with the fixture model, its batch path indexes a few files dropped into
 * its inbox, and each response must have a documented status, content type and body.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { startLocalStack, type RunningStack } from '../../tools/local-stack.js';
import { entitiesBadInput } from '../helpers/bad-input.js';
import { fixtures } from '../helpers/paths.js';
import { entitiesBatchBadInput } from '../online/batch-bad-input.js';
import { contractResponse, OpenApiContract, type ContractResponse } from './openapi.js';

const MAX = 500;
const BUCKET = 'nerve-documents';
const tiny = join(fixtures, 'tiny-model');
const dir = mkdtempSync(join(tmpdir(), 'nerve-contract-'));
const inbox = join(dir, 'inbox');
const contract = new OpenApiContract();
let stack: RunningStack;

const FILES: Record<string, string> = {
  'anna.txt': 'Anna Kowalczyk met Ravi Mehta in Port Avery. Anna Kowalczyk spoke.',
  'anna-again.md': '# Port Avery\n\nAnna Kowalczyk visited Quill Corp in Port Avery.',
  'lines.jsonl': '{"title": "Tessaro", "text": "Mira Osei joined Tessaro Motors."}\n{"text": "Tomas Berg visited Osterholm."}\n',
  'binary.exe': 'MZ\u0000\u0001',
  'gone.txt': 'Jon Hale of Lumen Group spoke in Vale.',
};
const idOf = (file: string, line?: number) => documentIdOf(BUCKET, `incoming/${file}`, line);

async function call(method: string, path: string, init: { body?: string; contentType?: string | null } = {}) {
  const headers: Record<string, string> = init.contentType === null ? {} : { 'content-type': init.contentType ?? 'application/json' };
  const res = await contractResponse(await fetch(`${stack.url}${path}`, { method, headers, body: init.body }));
  return { ...res, problems: contract.problems(method, path.split('?')[0]!, res) };
}
/**
 * A body over API Gateway's 10 MB, on a connection of its own: the server refuses it and
 * closes the connection mid-upload, which a pooled fetch connection would carry into the next request.
 */
function hugePost(path: string, bytes: number): Promise<ContractResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${stack.url}${path}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'] ?? null, body: JSON.parse(text) }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    req.end('x'.repeat(bytes));
  });
}
const post = (path: string, value: unknown) => call('POST', path, { body: typeof value === 'string' ? value : JSON.stringify(value) });
const document = (id: string, query = '') => call('GET', `/v1/documents/${id}${query}`);

beforeAll(async () => {
  mkdirSync(inbox, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(inbox, name), text);
  stack = await startLocalStack({ NERVE_MODEL: tiny, NERVE_BATCH_MODEL: tiny, NERVE_MAX_TEXT_CHARS: String(MAX), NERVE_LOCAL_DIR: join(dir, '.nerve'), NERVE_INBOX: inbox });
  const settled = (file: string, status: RegExp) =>
    vi.waitFor(async () => expect(((await document(idOf(file))).body as { status?: string }).status).toMatch(status), { timeout: 60_000, interval: 300 });
  for (const file of Object.keys(FILES)) await settled(file, /^(indexed|failed)$/);
  rmSync(join(inbox, 'gone.txt'));
  await settled('gone.txt', /^deleted$/);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/entities conforms to docs/openapi.json', () => {
  it('one text, in either offset unit, filtered or not', async () => {
    for (const body of [{ text: 'Anna Kowalczyk visited Osterholm.' }, { text: '👍 Ravi Mehta', offsets: 'utf16' }, { text: '' }, { text: 'Ravi Mehta of Quill Corp', types: ['ORG'], minScore: 0.1, language: 'en' }]) {
      const res = await post('/v1/entities', body);
      expect(res.status).toBe(200);
      expect(res.problems).toEqual([]);
      expect(Object.keys(res.body as object)).toEqual(['entities', 'model', 'offsets']);
    }
  });

  it('many texts, with a result or an error per text', async () => {
    const res = await post('/v1/entities', { texts: ['Anna Kowalczyk visited Osterholm.', 7, 'x'.repeat(MAX + 1), ''], types: ['PER', 'LOC'] });
    expect(res.status).toBe(200);
    expect(res.problems).toEqual([]);
    expect((res.body as { results: Array<{ error?: { code: string } }> }).results.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'invalid_text', 'text_too_long', 'ok']);
  });

  it('every refusal of both bad-input tables, and a body over 10 MB', async () => {
    for (const c of [...entitiesBadInput(MAX), ...entitiesBatchBadInput()]) {
      const res = await call('POST', '/v1/entities', { body: c.body ?? '', contentType: c.contentType === '' ? null : c.contentType });
      expect(res.status, c.name).toBe(c.status);
      expect(res.problems, c.name).toEqual([]);
    }
    const huge = await hugePost('/v1/entities', 11 * 1024 * 1024);
    expect([huge.status, contract.problems('POST', '/v1/entities', huge)]).toEqual([413, []]);
  });
});

describe('POST /v1/search conforms to docs/openapi.json', () => {
  it('ranked documents, a next page through the cursor, and an empty answer with its reason', async () => {
    const first = await post('/v1/search', { query: 'Anna Kowalczyk', limit: 1 });
    expect(first.status).toBe(200);
    expect(first.problems).toEqual([]);
    const page = first.body as { results: unknown[]; nextCursor?: string };
    expect(page.results).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await post('/v1/search', { query: 'Anna Kowalczyk', limit: 1, cursor: page.nextCursor });
    expect([second.status, second.problems]).toEqual([200, []]);
    const lines = await post('/v1/search', { query: 'Mira Osei', types: ['PER'] });
    expect([lines.status, lines.problems]).toEqual([200, []]);
    expect((lines.body as { results: Array<{ line?: number }> }).results[0]?.line).toBe(1);
    const none = await post('/v1/search', { query: 'nothing here at all' });
    expect([none.status, none.problems]).toEqual([200, []]);
    expect((none.body as { reason?: string }).reason).toEqual(expect.any(String));
  });

  it('its refusals', async () => {
    const cases: Array<[unknown, number]> = [
      [{}, 400], [{ query: 42 }, 400], [{ query: ' ' }, 400], [{ query: 'x', limit: 0 }, 400], [{ query: 'x', limit: 'ten' }, 400],
      [{ query: 'x', types: [] }, 400], [{ query: 'x', types: ['PLANET'] }, 400], [{ query: 'x', cursor: 'tampered.AAAAAAAAAAAAAAAAAAAAAA' }, 400],
      ['{oops', 400], ['[]', 400], ['', 400], [{ query: 'y'.repeat(501) }, 413], [{ query: 'x', pad: 'z'.repeat(8000) }, 413],
    ];
    for (const [body, status] of cases) {
      const res = await post('/v1/search', body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(status);
      expect(res.problems, JSON.stringify(body).slice(0, 40)).toEqual([]);
    }
    const wrongType = await call('POST', '/v1/search', { body: '{"query": "x"}', contentType: 'text/plain' });
    expect([wrongType.status, wrongType.problems]).toEqual([415, []]);
  });
});

describe('GET /v1/documents/{documentId} conforms to docs/openapi.json', () => {
  it('an indexed document, page by page; a file of documents and one of its lines; a failed and a deleted document', async () => {
    const anna = await document(idOf('anna.txt'));
    expect([anna.status, anna.problems]).toEqual([200, []]);
    expect((anna.body as { entities: unknown[] }).entities.length).toBeGreaterThan(1);
    const firstPage = await document(idOf('anna.txt'), '?limit=1');
    expect([firstPage.status, firstPage.problems]).toEqual([200, []]);
    const cursor = (firstPage.body as { nextCursor: string }).nextCursor;
    const nextPage = await document(idOf('anna.txt'), `?limit=1&cursor=${cursor}`);
    expect([nextPage.status, nextPage.problems]).toEqual([200, []]);
    const file = await document(idOf('lines.jsonl'));
    expect([file.status, file.problems]).toEqual([200, []]);
    expect((file.body as { documents: string[] }).documents).toEqual([idOf('lines.jsonl', 1), idOf('lines.jsonl', 2)]);
    const line = await document(idOf('lines.jsonl', 1));
    expect([line.status, line.problems]).toEqual([200, []]);
    const failed = await document(idOf('binary.exe'));
    expect([failed.status, failed.problems, (failed.body as { status: string }).status]).toEqual([200, [], 'failed']);
    const deleted = await document(idOf('gone.txt'));
    expect([deleted.status, deleted.problems, (deleted.body as { status: string }).status]).toEqual([200, [], 'deleted']);
  });

  it('its refusals: an unknown document, a malformed id (or percent-encoding), a bad limit or cursor', async () => {
    for (const [path, status] of [
      [`/v1/documents/d${'0'.repeat(24)}`, 404], ['/v1/documents/not-an-id', 400], [`/v1/documents/${idOf('anna.txt')}?limit=0`, 400],
      [`/v1/documents/${idOf('anna.txt')}?limit=x`, 400], [`/v1/documents/${idOf('anna.txt')}?cursor=%%%`, 400], ['/v1/documents/%E0%A4%A', 400],
    ] as const) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(status);
      expect(res.problems, path).toEqual([]);
    }
  });
});

describe('GET / conforms to docs/openapi.json', () => {
  it('serves the try-it page as HTML', async () => {
    const res = await call('GET', '/', { contentType: null });
    expect([res.status, res.problems]).toEqual([200, []]);
  });
});

describe('the contract check can fail', () => {
  it('refuses a response with an extra field, a missing field, a wrong type, an unknown code, or an undocumented status or content type', async () => {
    const real = await post('/v1/entities', { text: 'Anna Kowalczyk visited Osterholm.' });
    const body = real.body as { entities: Array<Record<string, unknown>>; model: object; offsets: string };
    const check = (status: number, value: unknown, contentType = 'application/json') => contract.problems('POST', '/v1/entities', { status, contentType, body: value });
    expect(check(200, body)).toEqual([]);
    expect(check(200, { ...body, extra: 1 })).not.toEqual([]);
    expect(check(200, { entities: body.entities, offsets: body.offsets })).not.toEqual([]);
    expect(check(200, { ...body, entities: [{ ...body.entities[0], score: 1.5 }] })).not.toEqual([]);
    expect(check(200, { ...body, entities: [{ ...body.entities[0], start: '0' }] })).not.toEqual([]);
    expect(check(200, { ...body, offsets: 'bytes' })).not.toEqual([]);
    expect(check(400, { error: { code: 'text_too_long', message: 'x' } })).not.toEqual([]); // a 413 code under 400
    expect(check(400, { error: { code: 'invalid_json' } })).not.toEqual([]);
    expect(check(400, { message: 'Bad Request' })).not.toEqual([]);
    expect(check(418, body)).not.toEqual([]);
    expect(check(200, body, 'text/plain')).not.toEqual([]);
    expect(check(200, { results: [{ entities: [] }, { error: { code: 'invalid_json', message: 'x' } }], model: body.model, offsets: 'codepoint' })).not.toEqual([]);
  });
});
