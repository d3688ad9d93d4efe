/**
 * The fixture script itself, where PyPI can be reached (NERVE_HF_SCRIPT=1; a few minutes
 * on two cores): it installs its pinned environment, makes the models and goldens anew,
 * and Nerve must match those goldens too. Tokenizer training breaks ties between equally
 * frequent merges in hash order, so a rerun makes other, equally valid, vocabularies and
 * weights: what must hold is conformance, not identical bytes.
 *
 *   NERVE_HF_SCRIPT=1 npx vitest run test/engine/transformer-script.test.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { AGGREGATIONS } from '../../lambdas/engine/transformer/aggregate.js';
import { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { expectPipelineEntities, expectPipelineWindows, HF_MODELS, readGolden } from '../helpers/hf-goldens.js';
import { repoRoot } from '../helpers/paths.js';

describe.runIf(process.env.NERVE_HF_SCRIPT === '1')('tools/hf/make-fixtures.py', () => {
  it('makes models and goldens that Nerve matches', { timeout: 30 * 60_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'nerve-hf-fixtures-'));
    execFileSync(join(repoRoot, 'tools', 'hf', 'setup.sh'), { stdio: 'inherit' });
    execFileSync(join(repoRoot, 'tools', 'hf', '.venv', 'bin', 'python'), [join(repoRoot, 'tools', 'hf', 'make-fixtures.py'), '--out', out], { stdio: 'inherit' });
    for (const name of HF_MODELS) {
      const golden = readGolden(out, name);
      await expectPipelineWindows(join(out, name), golden);
      for (const aggregation of AGGREGATIONS) {
        const model = await TransformerModel.load(join(out, name), { aggregation, stride: golden.stride });
        await expectPipelineEntities(model, golden, aggregation);
        await model.release();
      }
    }
  });
});
