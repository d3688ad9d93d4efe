/**
 * The models trained by the same pipeline on other datasets (models/README.md): each one
 * a valid folder whose ONNX graph reproduces PyTorch through the engine, with its own
 * labels, and a model card that gives its test F1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../lambdas/engine/manifest.js';
import { expectParity } from '../helpers/parity.js';
import { repoRoot } from '../helpers/paths.js';

const MODELS: Array<[string, string[]]> = [
  ['wnut17', ['corporation', 'creative-work', 'group', 'location', 'person', 'product']],
  ['mit-restaurant', ['Amenity', 'Cuisine', 'Dish', 'Hours', 'Location', 'Price', 'Rating', 'Restaurant_Name']],
];

describe.each(MODELS)('models/%s', (name, types) => {
  const dir = join(repoRoot, 'models', name);

  it('is a valid model folder with its dataset\'s types', () => {
    const { manifest } = loadModelFolder(dir);
    expect(manifest.labels.filter((l) => l.startsWith('B-')).map((l) => l.slice(2)).sort()).toEqual(types);
  });

  it('reproduces PyTorch\'s emissions within the tolerance', async () => {
    await expectParity(dir);
  });

  it('has a model card giving its test F1 as measured by the engine', () => {
    const card = readFileSync(join(dir, 'README.md'), 'utf8');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(card).toContain(`| test | ${manifest.metrics.engine.test.cased.f1.toFixed(2)} |`);
  });
});
