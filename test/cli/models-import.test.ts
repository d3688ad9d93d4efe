/**
 * `nerve models import` through the real CLI: a Hugging Face export made with its own
 * libraries (test/fixtures/hf) becomes a model folder that `nerve extract --model` runs;
 * a folder that is not an export, and bad flags, are refused without writing anything.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../helpers/paths.js';
import { runNerve } from './run-nerve.js';

const scratch = mkdtempSync(join(tmpdir(), 'nerve-models-import-'));
const bert = join(fixtures, 'hf', 'bert-wordpiece');

describe('nerve models import', () => {
  it('imports an Optimum export that nerve extract then runs', async () => {
    const out = join(scratch, 'tiny-bert');
    const run = await runNerve(['models', 'import', bert, '--name', 'tiny-bert', '--out', out, '--aggregation', 'simple']);
    expect(run.stderr).toMatch(/imported tiny-bert .* into /);
    // How to deploy it: the folder holding it and its name, as the stack's context takes them.
    expect(run.stderr).toContain(`deploy it with cdk deploy -c nerve:modelsDir=${scratch} -c nerve:batchModel=tiny-bert`);
    expect(run.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ family: 'transformer', name: 'tiny-bert', aggregation: 'simple' });
    const extract = await runNerve(['extract', '--model', out, '--format', 'hf'], { input: 'Angela Merkel met Siemens executives in Munich.' });
    expect(extract.status).toBe(0);
    for (const e of JSON.parse(extract.stdout) as Array<{ word: string; start: number; end: number }>) expect('Angela Merkel met Siemens executives in Munich.'.slice(e.start, e.end)).toBe(e.word);
  }, 120_000);

  it('refuses a folder that is not an export, naming the file, and writes nothing', async () => {
    writeFileSync(join(scratch, 'placeholder'), '');
    const out = join(scratch, 'never');
    const run = await runNerve(['models', 'import', scratch, '--out', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/config\.json|tokenizer\.json|model\.onnx/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('answers a wrong command line with exit 2 and the usage', async () => {
    for (const args of [['models'], ['models', 'export', bert], ['models', 'import'], ['models', 'import', bert, '--aggregation', 'mean']]) {
      const run = await runNerve(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/usage: nerve models import/);
    }
    const stride = await runNerve(['models', 'import', bert, '--stride', '0']);
    expect(stride.status).toBe(2);
    expect(stride.stderr).toMatch(/--stride must be a positive integer/);
    const help = await runNerve(['models', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/usage: nerve models import DIR/);
  }, 60_000);
});
