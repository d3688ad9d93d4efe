import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entitiesBadInput } from '../helpers/bad-input.js';
import { startLocalStack, type RunningStack } from '../../tools/local-stack.js';
import { fixtures } from '../helpers/paths.js';

const MAX = 500;
let stack: RunningStack;

beforeAll(async () => {
  stack = await startLocalStack({ NERVE_MODEL: join(fixtures, 'tiny-model'), NERVE_MAX_TEXT_CHARS: String(MAX) });
});
afterAll(async () => {
  if (stack) await stack.stop();
});

const post = (body: string, contentType = 'application/json') =>
  fetch(`${stack.url}/v1/entities`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body });

describe('local stack over HTTP', () => {
  it('binds to 127.0.0.1 only: the port refuses connections on the machine\'s other addresses', async () => {
    const port = new URL(stack.url).port;
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
    for (const address of others) {
      await expect(fetch(`http://${address}:${port}/`), address).rejects.toThrow();
    }
    expect((await fetch(`${stack.url}/`)).status).toBe(200);
  });

  it('serves POST /v1/entities through the Lambda handler', async () => {
    const res = await post(JSON.stringify({ text: 'Ravi Mehta of Quill Corp' }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.entities.map((e: any) => e.text)).toEqual(['Ravi Mehta', 'Quill Corp']);
  });

  it('serves the try-it page at /', async () => {
    const res = await fetch(`${stack.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('<textarea id="text"');
  });

  it('answers unknown routes and methods with JSON errors', async () => {
    const missing = await fetch(`${stack.url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
    const wrongMethod = await fetch(`${stack.url}/v1/entities`);
    expect(wrongMethod.status).toBe(405);
  });

  it('answers every row of the bad-input table with the right status and a JSON error, and keeps serving', async () => {
    for (const c of entitiesBadInput(MAX)) {
      const res = await post(c.body ?? '', c.contentType ?? 'application/json');
      expect(res.status, c.name).toBe(c.status);
      const body = await res.json();
      if (c.status >= 400) expect(body.error.code, c.name).toBe(c.code);
    }
    // A body larger than API Gateway's 10 MB is refused before the handler.
    const huge = await post('x'.repeat(11 * 1024 * 1024));
    expect(huge.status).toBe(413);
    expect(huge.headers.get('connection')).toBe('close'); // its unread body leaves the connection unusable: a keep-alive client must not reuse it
    const after = await post(JSON.stringify({ text: 'Tomas Berg' }));
    expect(after.status).toBe(200);
  });

  it('stops cleanly on Ctrl-C', async () => {
    const code = await stack.stop();
    expect(code).toBe(0);
  });
});
