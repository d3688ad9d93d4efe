/**
 * POST /v1/entities' additions against the real handler and the fixture ONNX model:
 * `texts` (per-item results and errors), `types`, `minScore`, `language`; and the
 * one-text request, whose response must stay byte for byte what it was.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadModel } from '../../lambdas/engine/load.js';
import type { NerModel } from '../../lambdas/engine/model.js';
import { MAX_TEXTS } from '../../lambdas/online/entities.js';
import { httpApiEvent, jsonEvent } from '../../tools/http-events.js';
import { fixtures } from '../helpers/paths.js';
import { entitiesBatchBadInput } from './batch-bad-input.js';

const MAX = 500;
const tiny = join(fixtures, 'tiny-model');
let handler: (e: ReturnType<typeof httpApiEvent>) => Promise<APIGatewayProxyStructuredResultV2>;
let model: NerModel;

beforeAll(async () => {
  process.env.NERVE_MODEL = tiny;
  process.env.NERVE_MAX_TEXT_CHARS = String(MAX);
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ handler } = await import('../../lambdas/online/handler.js'));
  model = await loadModel(tiny);
});
afterAll(async () => {
  await model?.release();
});

const post = async (value: unknown) => {
  const res = await handler(jsonEvent('POST /v1/entities', value));
  return { status: res.statusCode, body: JSON.parse(res.body as string), raw: res.body as string };
};

const TEXTS = ['👍 Anna Kowalczyk visited Osterholm.', 'Ravi Mehta of Quill Corp spoke in Port Avery.', '', 'Tomas Berg'];

describe('POST /v1/entities with one text', () => {
  const answering = () => ({ ...model.model, family: model.family });

  it('answers byte for byte what the one-text form always answered, with or without the new options at their defaults', async () => {
    for (const offsets of ['codepoint', 'utf16'] as const) {
      for (const text of TEXTS) {
        // The response as the route built it before `texts` existed: entities, model, offsets, in that order
        // (the model with its family since, a field added as docs/http-api.md allows).
        const before = JSON.stringify({ entities: await model.extract(text, { offsets }), model: answering(), offsets });
        expect((await post({ text, offsets })).raw).toBe(before);
        expect((await post({ text, offsets, language: 'en', minScore: 0, types: ['LOC', 'MISC', 'ORG', 'PER'] })).raw).toBe(before);
      }
    }
    expect((await post({ text: TEXTS[0] })).raw).toBe(JSON.stringify({ entities: await model.extract(TEXTS[0]!), model: answering(), offsets: 'codepoint' }));
  });

  it('keeps only the entities of `types`, and those scoring at least `minScore`', async () => {
    const all = (await post({ text: TEXTS[1] })).body.entities as Array<{ type: string; score: number }>;
    expect(new Set(all.map((e) => e.type))).toEqual(new Set(['PER', 'ORG', 'LOC']));
    expect((await post({ text: TEXTS[1], types: ['ORG'] })).body.entities).toEqual(all.filter((e) => e.type === 'ORG'));
    const middle = [...all].sort((a, b) => a.score - b.score)[1]!.score;
    const kept = (await post({ text: TEXTS[1], minScore: middle })).body.entities;
    expect(kept).toEqual(all.filter((e) => e.score >= middle));
    expect(kept.length).toBe(all.length - 1);
    expect((await post({ text: TEXTS[1], minScore: 1 })).body.entities).toEqual(all.filter((e) => e.score >= 1));
  });
});

describe('POST /v1/entities with texts', () => {
  it('answers one result per text, in order, each what the one-text form finds in it', async () => {
    for (const offsets of ['codepoint', 'utf16'] as const) {
      const { status, body } = await post({ texts: TEXTS, offsets });
      expect(status).toBe(200);
      expect(Object.keys(body)).toEqual(['results', 'model', 'offsets']);
      expect(body.model).toEqual({ name: 'tiny', version: '0.0.1', family: 'bilstm-crf' });
      expect(body.offsets).toBe(offsets);
      expect(body.results).toHaveLength(TEXTS.length);
      for (const [i, text] of TEXTS.entries()) expect(body.results[i], text).toEqual({ entities: (await post({ text, offsets })).body.entities });
    }
    expect((await post({ texts: TEXTS })).body.results[0].entities[0]).toMatchObject({ text: 'Anna Kowalczyk', start: 2, end: 16 });
  });

  it('takes 25 texts of the longest length allowed, and applies types and minScore to every one', async () => {
    const long = 'Anna Kowalczyk visited Osterholm. '.repeat(20).slice(0, MAX);
    const { status, body } = await post({ texts: Array.from({ length: MAX_TEXTS }, () => long) });
    expect(status).toBe(200);
    expect(body.results).toHaveLength(MAX_TEXTS);
    expect(body.results.every((r: { entities?: unknown[] }) => (r.entities?.length ?? 0) > 0)).toBe(true);
    const filtered = (await post({ texts: TEXTS, types: ['PER'], minScore: 0.5 })).body.results;
    for (const [i, text] of TEXTS.entries()) {
      const all = (await post({ text })).body.entities as Array<{ type: string; score: number }>;
      expect(filtered[i].entities).toEqual(all.filter((e) => e.type === 'PER' && e.score >= 0.5));
    }
  });

  it('refuses a wrong text on its own, with its index and code, and answers the others', async () => {
    const secret = 'Zanzibar-Quokka-'.repeat(40); // over the limit; its content must not be echoed
    const { status, body } = await post({ texts: ['Tomas Berg', 42, secret, null, ['Anna'], 'Ravi Mehta'] });
    expect(status).toBe(200);
    const [first, number, long, nul, array, last] = body.results;
    expect(first.entities[0].text).toBe('Tomas Berg');
    expect(last.entities[0].text).toBe('Ravi Mehta');
    expect(number).toEqual({ error: { code: 'invalid_text', message: '"texts[1]" must be a string, got number' } });
    expect(long.error.code).toBe('text_too_long');
    expect(long.error.message).toMatch(/^"texts\[2\]" is longer than 500 characters.*batch path/);
    expect(long.error.message).not.toMatch(/Zanzibar/);
    expect(nul.error).toEqual({ code: 'invalid_text', message: '"texts[3]" must be a string, got null' });
    expect(array.error).toEqual({ code: 'invalid_text', message: '"texts[4]" must be a string, got an array' });
  });

  it('accepts a batch body larger than one text may be, and still refuses one text with padding over the one-text limit', async () => {
    const texts = Array.from({ length: 10 }, () => 'x'.repeat(MAX));
    expect(JSON.stringify({ texts }).length).toBeGreaterThan(MAX * 6 + 1024); // over one text's body limit
    expect((await post({ texts })).status).toBe(200);
    expect((await post({ text: 'x', pad: 'y'.repeat(MAX * 10) })).body.error.code).toBe('payload_too_large');
  });

  for (const c of entitiesBatchBadInput()) {
    it(`bad input: ${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await handler(httpApiEvent('POST /v1/entities', { body: c.body }));
      expect(res.statusCode).toBe(c.status);
      const body = JSON.parse(res.body as string);
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.code).toBe(c.code);
      expect(body.error.message).toMatch(c.message!);
    });
  }
});
