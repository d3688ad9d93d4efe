import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Tagger } from '../../lambdas/engine/tagger.js';

interface ParityFile {
  tolerance: number;
  sentences: Array<{ tokens: string[]; emissions: number[][] }>;
}

/** Compare the engine's emissions with the ones PyTorch wrote at export (parity.json). */
export async function expectParity(modelDir: string): Promise<number> {
  const parity = JSON.parse(readFileSync(join(modelDir, 'parity.json'), 'utf8')) as ParityFile;
  const tagger = await Tagger.load(modelDir);
  try {
    const ours = await tagger.emissions(parity.sentences.map((s) => s.tokens));
    const k = tagger.decoder.size;
    let worst = 0;
    parity.sentences.forEach((s, i) => {
      expect(ours[i]!.length).toBe(s.tokens.length * k);
      s.emissions.forEach((row, t) => row.forEach((v, y) => (worst = Math.max(worst, Math.abs(v - ours[i]![t * k + y]!)))));
    });
    expect(worst).toBeLessThanOrEqual(parity.tolerance);
    return worst;
  } finally {
    await tagger.release();
  }
}
