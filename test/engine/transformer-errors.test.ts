/**
 * Bad input at load: a copy of a real export, broken one way at a time, must fail to
 * load with a typed error that names the file and the problem, through the same
 * loadModel the handlers call, and never get as far as a request.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../lambdas/engine/load.js';
import { ConfigError, ModelInvalidError, ModelUnsupportedError, type NerveError } from '../../lambdas/shared/errors.js';
import { fixtures } from '../helpers/paths.js';

const bert = join(fixtures, 'hf', 'bert-wordpiece');

/** A copy of the BERT export that `edit` breaks. */
function broken(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-hf-'));
  cpSync(bert, dir, { recursive: true });
  edit(dir);
  return dir;
}

const editJson = (file: string, change: (json: any) => void) => (dir: string) => {
  const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  change(json);
  writeFileSync(join(dir, file), JSON.stringify(json));
};

async function loadError(dir: string, options = {}): Promise<NerveError> {
  const error = await loadModel(dir, options).then(
    () => undefined,
    (e: NerveError) => e,
  );
  expect(error, `${dir} loaded`).toBeDefined();
  return error!;
}

describe('a transformer folder that cannot run', () => {
  it('is not an export: names the missing file', async () => {
    const cases: Array<[string, string]> = [
      [broken((d) => rmSync(join(d, 'model.onnx'))), 'model.onnx (or onnx/model.onnx) is missing'],
      [broken((d) => rmSync(join(d, 'tokenizer.json'))), 'tokenizer.json is missing'],
    ];
    for (const [dir, missing] of cases) {
      const e = await loadError(dir);
      expect(e).toBeInstanceOf(ModelInvalidError);
      expect(e.message).toBe(`${dir} is not a Hugging Face token-classification export: ${missing}`);
    }
  });

  it('has a tokenizer.json of an unsupported kind, or one that is not JSON', async () => {
    const wordLevel = broken(editJson('tokenizer.json', (t) => (t.model = { type: 'WordLevel', vocab: t.model.vocab, unk_token: '[UNK]' })));
    const e = await loadError(wordLevel);
    expect(e).toBeInstanceOf(ModelUnsupportedError);
    expect(e.message).toBe(`${join(wordLevel, 'tokenizer.json')}: a tokenizer of type "WordLevel"; Nerve runs WordPiece, BPE, Unigram tokenizers`);
    expect(e.details).toEqual({ file: join(wordLevel, 'tokenizer.json') });
    const notJson = broken((d) => writeFileSync(join(d, 'tokenizer.json'), '{"model": '));
    expect(await loadError(notJson)).toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/tokenizer\.json is not valid JSON/) });
  });

  it('has labels outside IOB1, IOB2, BIOES and IO, or fewer than the model scores', async () => {
    const bilou = broken(editJson('config.json', (c) => (c.id2label = { ...c.id2label, 1: 'U-PER', 2: 'L-PER' })));
    const e = await loadError(bilou);
    expect(e).toBeInstanceOf(ModelUnsupportedError);
    expect(e.message).toMatch(new RegExp(`^${join(bilou, 'config.json')}: label "U-PER" is neither O nor B-, I-, E- or S- with a type`));
    const five = broken(editJson('config.json', (c) => (c.id2label = { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-LOC', 4: 'I-LOC' })));
    expect((await loadError(five)).message).toBe(`${join(five, 'model.onnx')}: gives 9 scores per token; config.json's id2label has 5 labels`);
  });

  it('is not a token-classification model', async () => {
    const dir = broken(editJson('config.json', (c) => (c.architectures = ['BertForSequenceClassification'])));
    const e = await loadError(dir);
    expect(e).toBeInstanceOf(ModelUnsupportedError);
    expect(e.message).toMatch(/config\.json: architecture BertForSequenceClassification is not a token-classification model/);
  });

  it('has an ONNX file whose inputs do not match the tokenizer', async () => {
    const bilstm = broken((d) => cpSync(join(fixtures, 'tiny-model', 'model.onnx'), join(d, 'model.onnx')));
    const e = await loadError(bilstm);
    expect(e).toBeInstanceOf(ModelInvalidError);
    expect(e.message).toMatch(/model\.onnx: its inputs are word_ids, char_ids, casing_ids, lengths; a token-classification export takes input_ids/);
    const bigger = broken(editJson('tokenizer.json', (t) => t.added_tokens.push({ id: 3000, content: '[NEW]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })));
    expect((await loadError(bigger)).message).toMatch(/tokenizer\.json has 3001 tokens but config\.json's vocab_size is 3000: it is not this model's tokenizer/);
    const corrupt = broken((d) => writeFileSync(join(d, 'model.onnx'), 'not onnx'));
    expect((await loadError(corrupt)).message).toMatch(/ONNX Runtime cannot load .*model\.onnx/);
  });

  it('checks options up front', async () => {
    expect((await loadError(bert, { stride: 62 })).message).toMatch(/stride 62 must be an integer from 0 to 61 \(the window of 64 less 2 special tokens, less one\)/);
    const e = await loadError(bert, { aggregation: 'mean' });
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('aggregation must be one of none, simple, first, average, max, got "mean"');
  });

  it('loads from onnx/model.onnx, as the Hub lays exports out', async () => {
    const dir = broken((d) => {
      mkdirSync(join(d, 'onnx'));
      cpSync(join(d, 'model.onnx'), join(d, 'onnx', 'model.onnx'));
      rmSync(join(d, 'model.onnx'));
    });
    const model = await loadModel(dir);
    expect(model.labels).toContain('B-PER');
    await model.release();
  });
});
