/**
 * An Optimum export imported as a Nerve model folder: checked, copied with a manifest and
 * a card, loaded back by loadModel with the export's entities; a bad export writes nothing.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../lambdas/engine/load.js';
import { importTransformer } from '../../lambdas/engine/transformer/import.js';
import { ConfigError, ModelInvalidError, ModelUnsupportedError } from '../../lambdas/shared/errors.js';
import { fixtures } from '../helpers/paths.js';

const xlmr = join(fixtures, 'hf', 'xlmr-unigram');
const scratch = () => mkdtempSync(join(tmpdir(), 'nerve-import-'));
const text = 'Yasser Arafat will travel to Cairo next week. Toyota agreed.';

describe('importing an export', () => {
  it('writes a folder that loads as the same model, with a manifest and a card', async () => {
    const out = join(scratch(), 'multilingual');
    const manifest = await importTransformer(xlmr, { out, name: 'multilingual', aggregation: 'max', stride: 8 });
    expect(manifest).toMatchObject({
      family: 'transformer',
      name: 'multilingual',
      version: expect.stringMatching(/^sha256-[0-9a-f]{12}$/),
      labelScheme: 'IOB1/IOB2',
      maxLength: 64,
      stride: 8,
      aggregation: 'max',
      inputs: { names: ['input_ids', 'attention_mask'] },
      source: { path: xlmr, architecture: 'XLMRobertaForTokenClassification' },
    });
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toMatch(/^# multilingual\n[\s\S]*\| aggregation \| max \|/);
    const imported = await loadModel(out);
    const original = await loadModel(xlmr, { aggregation: 'max', stride: 8 });
    expect(imported.model).toEqual({ name: 'multilingual', version: manifest.version });
    expect(await imported.extract(text)).toEqual(await original.extract(text));
    await Promise.all([imported.release(), original.release()]);
  });

  it('checks the imported ONNX file against its manifest at load', async () => {
    const out = join(scratch(), 'm');
    await importTransformer(xlmr, { out });
    cpSync(join(fixtures, 'hf', 'roberta-bpe', 'model.onnx'), join(out, 'model.onnx'));
    await expect(loadModel(out)).rejects.toThrow(/model\.onnx has sha256 [0-9a-f]{64}, .*manifest\.json says/);
  });

  it('names the problem and writes nothing for an export that does not load', async () => {
    const bad = scratch();
    cpSync(xlmr, bad, { recursive: true });
    const config = JSON.parse(readFileSync(join(bad, 'config.json'), 'utf8'));
    writeFileSync(join(bad, 'config.json'), JSON.stringify({ ...config, id2label: { 0: 'O', 1: 'PER' } }));
    const out = join(scratch(), 'never');
    await expect(importTransformer(bad, { out })).rejects.toThrow(ModelUnsupportedError);
    expect(existsSync(out)).toBe(false);
    rmSync(join(bad, 'tokenizer.json'));
    await expect(importTransformer(bad, { out })).rejects.toThrow(ModelInvalidError);
    await expect(importTransformer(xlmr, { out: fixtures })).rejects.toThrow(ConfigError);
  });
});
