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
const members = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { members: Array<{ path: string; gated?: boolean; version?: string }> }).members;

describe('models/ensemble', () => {
  it('pins every member to the version it was built and measured with (a member retrained in place is refused at load and at synth)', () => {
    expect(members.filter((m) => typeof m.version !== 'string').map((m) => m.path)).toEqual([]);
  });

  it('has at least three members: each tagger reproduces PyTorch within 1e-4, and the transformer reads behind the gate', async () => {
    expect(members.length).toBeGreaterThanOrEqual(3);
    const taggers = members.filter((m) => !isTransformerFolder(join(dir, m.path)));
    const transformers = members.filter((m) => isTransformerFolder(join(dir, m.path)));
    expect(taggers.length).toBeGreaterThanOrEqual(2);
    for (const m of taggers) await expectParity(join(dir, m.path));
    // A transformer: loads with its checksum verified, names the same types, sits behind the gate,
    // and gives each word the distribution Hugging Face's tokenizer and ONNX Runtime's Python
    // package gave (its parity.json, written by tools/hf/member_parity.py) within 1e-4.
    expect(transformers.length).toBeGreaterThanOrEqual(1);
    for (const m of transformers) {
      expect(m.gated).toBe(true);
      const model = await TransformerModel.load(join(dir, m.path), { verifyChecksum: true });
      try {
        expect(entityTypesOf(model.labels).sort()).toEqual(['LOC', 'MISC', 'ORG', 'PER']);
        const parity = JSON.parse(readFileSync(join(dir, m.path, 'parity.json'), 'utf8')) as { sentences: Array<{ words: string[]; probabilities: number[][] }> };
        // One sentence a call, as the parity file was made: an int8 export quantizes its activations
        // with one scale per tensor, so a sentence's numbers move with the batch it shares.
        const got = await Promise.all(parity.sentences.map(async (x) => (await model.wordProbabilities([x.words], 'first'))[0]!));
        parity.sentences.forEach(({ probabilities }, s) => {
          const flat = probabilities.flat();
          expect(got[s]!.length).toBe(flat.length);
          flat.forEach((p, j) => expect(Math.abs(got[s]![j]! - p)).toBeLessThan(1e-4));
        });
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
