import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { entitiesBadInput } from '../helpers/bad-input.js';
import { httpApiEvent, jsonEvent } from '../../tools/http-events.js';
import { fixtures } from '../helpers/paths.js';

const MAX = 500;
let handler: (e: ReturnType<typeof httpApiEvent>) => Promise<APIGatewayProxyStructuredResultV2>;

beforeAll(async () => {
  process.env.NERVE_MODEL = join(fixtures, 'tiny-model');
  process.env.NERVE_MAX_TEXT_CHARS = String(MAX);
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ handler } = await import('../../lambdas/online/handler.js'));
});

const parse = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body as string);

describe('POST /v1/entities handler', () => {
  it('returns entities, model and offsets as the contract says', async () => {
    const res = await handler(jsonEvent('POST /v1/entities', { text: '👍 Anna Kowalczyk visited Osterholm.' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers!['content-type']).toMatch(/^application\/json/);
    const body = parse(res);
    expect(body.offsets).toBe('codepoint');
    expect(body.model).toEqual({ name: 'tiny', version: '0.0.1', family: 'bilstm-crf' });
    expect(body.entities.map((e: any) => [e.text, e.type, e.start, e.end])).toEqual([
      ['Anna Kowalczyk', 'PER', 2, 16],
      ['Osterholm', 'LOC', 25, 34],
    ]);
    for (const e of body.entities) expect(Object.keys(e).sort()).toEqual(['end', 'score', 'start', 'text', 'type']);
  });

  it('gives UTF-16 offsets on request', async () => {
    const body = parse(await handler(jsonEvent('POST /v1/entities', { text: '👍 Anna Kowalczyk', offsets: 'utf16' })));
    expect(body.entities[0]).toMatchObject({ start: 3, end: 17 });
  });

  it('accepts a base64-encoded body, as API Gateway sends some', async () => {
    const body = Buffer.from(JSON.stringify({ text: 'Tomas Berg' })).toString('base64');
    const res = await handler(httpApiEvent('POST /v1/entities', { body, isBase64Encoded: true }));
    expect(parse(res).entities[0].text).toBe('Tomas Berg');
  });

  for (const c of entitiesBadInput(MAX)) {
    it(`bad input: ${c.name} → ${c.status}`, async () => {
      const headers: Record<string, string> = c.contentType === undefined ? { 'content-type': 'application/json' } : c.contentType ? { 'content-type': c.contentType } : {};
      const res = await handler(httpApiEvent('POST /v1/entities', { body: c.body, headers }));
      expect(res.statusCode).toBe(c.status);
      const body = parse(res);
      if (c.status >= 400) {
        expect(body.error.code).toBe(c.code);
        expect(typeof body.error.message).toBe('string');
        if (c.message) expect(body.error.message).toMatch(c.message);
      } else {
        expect(Array.isArray(body.entities)).toBe(true);
      }
    });
  }
});
