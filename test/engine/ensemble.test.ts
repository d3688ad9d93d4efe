import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ensemble } from '../../lambdas/engine/ensemble.js';
import { loadModel } from '../../lambdas/engine/load.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import { fixtures } from '../helpers/paths.js';

const text = 'Anna Kowalczyk of Halvard Bank met Ravi Mehta in Port Avery.';

describe('Ensemble', () => {
  it('of one model with itself agrees with that model, labels and probabilities alike', async () => {
    const ensemble = await loadModel(join(fixtures, 'tiny-ensemble'));
    const single = await Tagger.load(join(fixtures, 'tiny-model'));
    try {
      expect(ensemble).toBeInstanceOf(Ensemble);
      const [a, b] = [await ensemble.extract(text), await single.extract(text)];
      expect(a.map((e) => [e.text, e.type, e.start, e.end])).toEqual(b.map((e) => [e.text, e.type, e.start, e.end]));
      a.forEach((e, i) => expect(e.score).toBeCloseTo(b[i]!.score, 6));
      const tokens = [['Tomas', 'Berg', 'visited', 'Osterholm', '.'], []];
      expect(await ensemble.labelSentences(tokens)).toEqual(await single.labelSentences(tokens));
    } finally {
      await ensemble.release();
      await single.release();
    }
  });

  it('refuses members with different labels, and a malformed manifest, by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-ens-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'x', version: '1', format: 'nerve-ensemble/1', members: [] }));
    await expect(loadModel(dir)).rejects.toThrow(/"members" must be a non-empty array/);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'x', version: '1', format: 'nerve-ensemble/1', members: [{ path: 'missing', weight: 1 }] }));
    await expect(loadModel(dir)).rejects.toThrow(/model folder .*missing does not exist/);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'x', version: '1', format: 'nerve-ensemble/1', members: [{ path: 'missing', weight: 1, version: 2 }] }));
    await expect(loadModel(dir)).rejects.toThrow(/a member's "version" must be a string/);
  });

  it('loads a member pinned to its version, and refuses one at another version than the ensemble was built with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-ens-'));
    const member = join(fixtures, 'tiny-model'); // version 0.0.1
    const manifest = (version: string) => JSON.stringify({ name: 'pinned', version: '1', format: 'nerve-ensemble/1', members: [{ path: relative(dir, member), weight: 1, version }], combination: 'test' });
    writeFileSync(join(dir, 'manifest.json'), manifest('0.0.1'));
    await (await loadModel(dir)).release();
    writeFileSync(join(dir, 'manifest.json'), manifest('0.0.0'));
    await expect(loadModel(dir)).rejects.toThrow(/member .*tiny-model is version 0\.0\.1, but the ensemble was built with 0\.0\.0/);
  });
});
