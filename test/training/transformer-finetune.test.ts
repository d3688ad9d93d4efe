/**
 * models/transformer/finetune.py end to end, where PyPI can be reached (NERVE_HF_SCRIPT=1,
 * as the fixture script's own check; a few minutes on two cores): the pinned environment,
 * the pretrained encoder fine-tuned for one epoch on the fixture, exported with Optimum,
 * imported as `nerve models import` does, and run by the engine on a sentence.
 *
 *   NERVE_HF_SCRIPT=1 npx vitest run test/training/transformer-finetune.test.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importTransformer } from '../../lambdas/engine/transformer/import.js';
import { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { repoRoot, tinyConll } from '../helpers/paths.js';

describe.runIf(process.env.NERVE_HF_SCRIPT === '1')('models/transformer/finetune.py', () => {
  it('fine-tunes the packaged encoder, exports it, and the engine runs the import', { timeout: 30 * 60_000 }, async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'nerve-finetune-'));
    execFileSync(join(repoRoot, 'tools', 'hf', 'setup.sh'), { stdio: 'inherit' });
    const python = join(repoRoot, 'tools', 'hf', '.venv', 'bin', 'python');
    execFileSync(python, [join(repoRoot, 'models', 'transformer', 'finetune.py'), '--data', tinyConll, '--out', join(scratch, 'export'), '--epochs', '1', '--threads', '2'], { stdio: 'inherit' });
    const record = JSON.parse(readFileSync(join(scratch, 'export', 'training.json'), 'utf8')) as { epochs: unknown[]; seed: number };
    expect(record.epochs).toHaveLength(1);
    expect(record.seed).toBe(1);
    await importTransformer(join(scratch, 'export'), { name: 'finetune-smoke', out: join(scratch, 'nerve') });
    const model = await TransformerModel.load(join(scratch, 'nerve'));
    expect(model.labels).toEqual(expect.arrayContaining(['O', 'B-PER', 'I-PER', 'B-LOC']));
    // One epoch on the fixture teaches little: what must hold is that the engine reads every word of the import.
    const [dist] = await model.wordProbabilities([['Anna', 'Kowalczyk', 'flew', 'to', 'Port', 'Avery', '.']], 'first');
    const k = model.labels.length;
    expect(dist).toHaveLength(7 * k);
    for (let w = 0; w < 7; w++) expect(dist!.slice(w * k, (w + 1) * k).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    await model.release();
  });
});
