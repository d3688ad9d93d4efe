/** The shipped batch ensemble: every tagger matches PyTorch, the transformer sits behind the gate, and the ensemble tags known sentences. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../lambdas/engine/load.js';
import { entityTypesOf } from '../../lambdas/engine/tags.js';
import { isTransformerFolder } from '../../lambdas/engine/transformer/folder.js';
import { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { expectParity } from '../helpers/parity.js';
import { repoRoot } from '../helpers/paths.js';

const dir = join(repoRoot, 'models', 'ensemble');
// Members as the manifest names them: a member may live outside the folder (models/small is one).
const members = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { members: Array<{ path: string; gated?: boolean }> }).members;

describe('models/ensemble', () => {
  it('has at least three members: each tagger reproduces PyTorch within 1e-4, and the transformer reads behind the gate', async () => {
    expect(members.length).toBeGreaterThanOrEqual(3);
    const taggers = members.filter((m) => !isTransformerFolder(join(dir, m.path)));
    const transformers = members.filter((m) => isTransformerFolder(join(dir, m.path)));
    expect(taggers.length).toBeGreaterThanOrEqual(2);
    for (const m of taggers) await expectParity(join(dir, m.path));
    // A transformer is checked against transformers' own outputs by test/engine/transformer-conformance.test.ts;
    // here: the shipped one loads with its checksum verified, names the same types, and sits behind the gate.
    for (const m of transformers) {
      expect(m.gated).toBe(true);
      const model = await TransformerModel.load(join(dir, m.path), { verifyChecksum: true });
      try {
        expect(entityTypesOf(model.labels).sort()).toEqual(['LOC', 'MISC', 'ORG', 'PER']);
      } finally {
        await model.release();
      }
    }
  });

  it('finds the entities of a known news sentence', async () => {
    const model = await loadModel('ensemble', { intraOpThreads: 2 });
    try {
      const found = (await model.extract('Peter Blackburn of the European Commission spoke in Brussels on Friday.')).map((e) => [e.text, e.type]);
      expect(found).toEqual([
        ['Peter Blackburn', 'PER'],
        ['European Commission', 'ORG'],
        ['Brussels', 'LOC'],
      ]);
    } finally {
      await model.release();
    }
  });
});
