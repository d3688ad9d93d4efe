/**
 * The word index's client (lambdas/words/opensearch.ts) against the local engine
 * (local/word-search.ts) over real HTTP: writes, removals, BM25 order, the index made on
 * first write, OpenSearch's error shapes, SigV4 headers when signing, and the words kept
 * across a restart (and a log cut short by a crash).
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenSearchWords, WordIndexError } from '../../lambdas/words/opensearch.js';
import { startWordSearch, type WordSearchServer } from '../../local/word-search.js';

const running: WordSearchServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
/** The index's counts of `counted`, as a search asks them (a query that matches nothing, no hits wanted). */
const countsIn = async (words: OpenSearchWords, counted: string[]) => (await words.search('', 0, counted)).frequencies!;

async function engine(dir?: string) {
  const server = await startWordSearch({ dir });
  running.push(server);
  return server;
}

describe('the word index over the local engine', () => {
  it('finds a version by any of its words, best BM25 first, and forgets removed versions', async () => {
    const words = new OpenSearchWords({ endpoint: (await engine()).endpoint, index: 'w' });
    expect(await words.search('anything', 10)).toEqual({ hits: [] }); // no index yet: no hits, no error
    await words.write({ documentId: 'd1', seq: 'A1', text: 'Cardinal Wolsey met the king at Hampton Court' });
    await words.write({ documentId: 'd2', seq: 'B1', text: 'The king and the king again: a king among kings' });
    await words.write({ documentId: 'd3', seq: 'C1', text: 'Grain prices fell in Chicago' });
    expect((await words.search('wolsey', 10)).hits.map((h) => [h.documentId, h.seq])).toEqual([['d1', 'A1']]);
    const king = (await words.search('king', 10)).hits;
    expect(king.map((h) => h.documentId)).toEqual(['d2', 'd1']);
    expect(king[0]!.score).toBeGreaterThan(king[1]!.score);
    // A second version is a document of its own; removing the first leaves the second.
    await words.write({ documentId: 'd1', seq: 'A2', text: 'Cardinal Wolsey fell from favour' });
    expect((await words.search('wolsey', 10)).hits.map((h) => h.seq).sort()).toEqual(['A1', 'A2']);
    await words.remove('d1', ['A1', 'A0']); // A0 never existed: not an error
    expect((await words.search('wolsey', 10)).hits.map((h) => h.seq)).toEqual(['A2']);
    expect((await words.search('grain', 0)).hits).toEqual([]);
  });

  it('counts the documents that hold each word, over the whole index, as a search finds them; with no index yet, zeros', async () => {
    const words = new OpenSearchWords({ endpoint: (await engine()).endpoint, index: 'w' });
    expect(await countsIn(words, ['king'])).toEqual(new Map([['king', 0]]));
    await words.write({ documentId: 'd1', seq: 'A1', text: 'Cardinal Wolsey met the king at Hampton Court' });
    await words.write({ documentId: 'd2', seq: 'B1', text: 'The king and the king again' });
    await words.write({ documentId: 'd3', seq: 'C1', text: 'Grain prices fell' });
    const counted = ['king', 'grain', 'wolsey', 'absent'];
    expect(await countsIn(words, counted)).toEqual(new Map([['king', 2], ['grain', 1], ['wolsey', 1], ['absent', 0]]));
    for (const word of counted) expect((await words.search(word, 10)).hits).toHaveLength((await countsIn(words, [word])).get(word)!);
    // A search that counts too, in one request: its counts are over the whole index, not its hits.
    const both = await words.search('grain', 10, counted);
    expect(both.hits.map((h) => h.documentId)).toEqual(['d3']);
    expect(both.frequencies).toEqual(new Map([['king', 2], ['grain', 1], ['wolsey', 1], ['absent', 0]]));
    expect((await words.search('grain', 10)).frequencies).toBeUndefined();
  });

  it('cuts words as OpenSearch\'s standard analyzer does: "U.S." is one word, not two letters', async () => {
    const words = new OpenSearchWords({ endpoint: (await engine()).endpoint, index: 'w' });
    await words.write({ documentId: 'd1', seq: 'A1', text: 'The U.S. Treasury said so.' });
    await words.write({ documentId: 'd2', seq: 'B1', text: 'Plan S, option U: neither.' });
    expect((await words.search('U.S.', 10)).hits.map((h) => h.documentId)).toEqual(['d1']);
  });

  it('keeps those counts as versions are rewritten and removed, and across a restart, equal to what a search finds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-words-'));
    const first = await engine(dir);
    const words = new OpenSearchWords({ endpoint: first.endpoint, index: 'w' });
    await words.write({ documentId: 'd1', seq: 'A1', text: 'Trade talks; TRADE deficit' });
    await words.write({ documentId: 'd2', seq: 'B1', text: 'Grain trade' });
    await words.write({ documentId: 'd3', seq: 'C1', text: 'Grain prices' });
    await words.write({ documentId: 'd2', seq: 'B1', text: 'Grain prices fell' }); // the same id rewritten: no more trade
    await words.remove('d3', ['C1']);
    const expected = new Map([['trade', 1], ['grain', 1], ['prices', 1], ['talks', 1], ['fell', 1], ['chicago', 0]]);
    expect(await countsIn(words, [...expected.keys()])).toEqual(expected);
    for (const [word, n] of expected) expect((await words.search(word, 10)).hits).toHaveLength(n);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const again = new OpenSearchWords({ endpoint: (await engine(dir)).endpoint, index: 'w' });
    expect(await countsIn(again, [...expected.keys()])).toEqual(expected);
  });

  it('writing the same version twice leaves one document', async () => {
    const words = new OpenSearchWords({ endpoint: (await engine()).endpoint, index: 'w' });
    await words.write({ documentId: 'd1', seq: 'A1', text: 'Stars and Stripes' });
    await words.write({ documentId: 'd1', seq: 'A1', text: 'Stars and Stripes' });
    expect((await words.search('stripes', 10)).hits).toHaveLength(1);
  });

  it('answers as OpenSearch does: bulk items with statuses, index_not_found, resource_already_exists, a 400 for a malformed bulk body', async () => {
    const { endpoint } = await engine();
    const bulk = (body: string) => fetch(`${endpoint}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const put = await bulk('{"index":{"_index":"x","_id":"1"}}\n{"text":"a b"}\n{"delete":{"_index":"x","_id":"2"}}\n');
    expect(put.status).toBe(200);
    expect(put.body.errors).toBe(false);
    expect(put.body.items).toEqual([{ index: expect.objectContaining({ _id: '1', status: 201, result: 'created' }) }, { delete: expect.objectContaining({ _id: '2', status: 404, result: 'not_found' }) }]);
    expect((await bulk('{"index":{"_index":"x","_id":"1"}}\n{"text":"c"}\n')).body.items[0].index).toMatchObject({ status: 200, result: 'updated' });
    expect((await bulk('{"index":')).status).toBe(400);
    const missing = await fetch(`${endpoint}/nope/_search`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.type).toBe('index_not_found_exception');
    const again = await fetch(`${endpoint}/x`, { method: 'PUT', body: '{}' });
    expect(again.status).toBe(400);
    expect(((await again.json()) as any).error.type).toBe('resource_already_exists_exception');
    const bad = await fetch(`${endpoint}/x/_search`, { method: 'POST', body: '{"size": -1}' });
    expect(bad.status).toBe(400);
  });

  it('keeps the words across a restart, a half-written last line of the log ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-words-'));
    const first = await engine(dir);
    const words = new OpenSearchWords({ endpoint: first.endpoint, index: 'w' });
    await words.write({ documentId: 'd1', seq: 'A1', text: 'Belgian officials in Brussels' });
    await words.write({ documentId: 'd2', seq: 'B1', text: 'Belgian beer' });
    await words.remove('d2', ['B1']);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    appendFileSync(join(dir, 'words.log'), '{"op":"index","index":"w","id":"d9#Z","sou'); // a crash mid-append
    const second = await engine(dir);
    const reopened = new OpenSearchWords({ endpoint: second.endpoint, index: 'w' });
    expect((await reopened.search('belgian', 10)).hits.map((h) => h.documentId)).toEqual(['d1']);
    // The log was compacted at start: the live documents only.
    expect(readFileSync(join(dir, 'words.log'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('retries a throttled request, then reports the failure with its status', async () => {
    let calls = 0;
    const flaky = createServer((req, res) => {
      calls++;
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"type":"too_many_requests"},"status":429}');
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    try {
      const words = new OpenSearchWords({ endpoint: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`, index: 'w' });
      const error = await words.search('x', 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WordIndexError);
      expect((error as WordIndexError).status).toBe(429);
      expect(calls).toBe(4);
    } finally {
      flaky.closeAllConnections();
      await new Promise((r) => flaky.close(r));
    }
  }, 20_000);

  it('signs for OpenSearch Serverless: SigV4 for service aoss, the payload hash signed as its own header', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const recorder = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"hits":{"hits":[]}}');
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1' });
    try {
      const words = new OpenSearchWords({ endpoint: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`, index: 'w', signing: 'aoss' });
      await words.search('wolsey', 5);
      const h = seen[0]!;
      expect(h.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/aoss\/aws4_request, SignedHeaders=[^,]*x-amz-content-sha256[^,]*, Signature=[0-9a-f]{64}$/);
      expect(h['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      process.env = saved;
      recorder.closeAllConnections();
      await new Promise((r) => recorder.close(r));
    }
  });
});
