/**
 * The shipped online model: its file, its parity with PyTorch, and known sentences giving
 * known entities (through the same engine the Lambda runs).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../lambdas/engine/manifest.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import { expectParity } from '../helpers/parity.js';
import { smallModel } from '../helpers/paths.js';

let tagger: Tagger;
beforeAll(async () => {
  tagger = await Tagger.load('small');
});
afterAll(() => tagger.release());

const pairs = async (text: string) => (await tagger.extract(text)).map((e) => [e.text, e.type]);

describe('models/small', () => {
  it('is a valid model folder under 16 MiB whose checksum matches', () => {
    const folder = loadModelFolder(smallModel);
    expect(folder.manifest.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);
    expect(statSync(join(smallModel, 'model.onnx')).size).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it('reproduces PyTorch\'s emissions within 1e-4', async () => {
    await expectParity(smallModel);
  });

  it('finds the entities of known news sentences', async () => {
    expect(await pairs('EU rejects German call to boycott British lamb.')).toEqual([
      ['EU', 'ORG'],
      ['German', 'MISC'],
      ['British', 'MISC'],
    ]);
    expect(await pairs('Peter Blackburn of the European Commission spoke in Brussels on Friday.')).toEqual([
      ['Peter Blackburn', 'PER'],
      ['European Commission', 'ORG'],
      ['Brussels', 'LOC'],
    ]);
  });

  it('finds entities in lower-cased queries', async () => {
    const found = await pairs('angela merkel visits paris');
    expect(found).toContainEqual(['paris', 'LOC']);
  });

  it('scores confident entities near 1 and every score within [0, 1]', async () => {
    const entities = await tagger.extract('Peter Blackburn of the European Commission spoke in Brussels on Friday.');
    for (const e of entities) {
      expect(e.score).toBeGreaterThan(0.5);
      expect(e.score).toBeLessThanOrEqual(1);
    }
  });
});
