/** The shipped batch ensemble: every member matches PyTorch, and the ensemble tags known sentences. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../lambdas/engine/load.js';
import { expectParity } from '../helpers/parity.js';
import { repoRoot } from '../helpers/paths.js';

const dir = join(repoRoot, 'models', 'ensemble');
// Members as the manifest names them: a member may live outside the folder (models/small is one).
const members = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { members: Array<{ path: string }> }).members.map((m) => m.path);

describe('models/ensemble', () => {
  it('has at least three members, each reproducing PyTorch within 1e-4', async () => {
    expect(members.length).toBeGreaterThanOrEqual(3);
    for (const m of members) await expectParity(join(dir, m));
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
