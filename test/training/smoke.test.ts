/**
 * The training pipeline end to end: a tiny model trained for one epoch on the fixture,
 * exported to ONNX, then loaded by the TypeScript engine, whose emissions must equal
 * PyTorch's within 1e-4. Needs Debian's python3-torch and python3-onnx: `.ci/run`
 * installs them and sets NERVE_REQUIRE_TRAINING=1 so the test cannot be skipped there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectParity } from '../helpers/parity.js';
import { repoRoot, tinyConll } from '../helpers/paths.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
const required = process.env.NERVE_REQUIRE_TRAINING === '1';

/** One epoch on the fixture's first 200 sentences, one thread. */
const train = (out: string, ...options: string[]) =>
  spawnSync(PYTHON, ['-m', 'nerve_train.train', '--data', tinyConll, '--out', out, '--epochs', '1', '--max-train-sentences', '200', '--threads', '1', ...options], {
    cwd: join(repoRoot, 'models', 'train'),
    encoding: 'utf8',
    timeout: 300_000,
  });

describe.skipIf(!hasTorch && !required)('training pipeline smoke run', () => {
  // The ID-CNN's padding is masked at every layer: the engine, which batches by length, must still match.
  it.each(['bilstm', 'idcnn'])('trains a %s, exports it and matches the engine within 1e-4', async (encoder) => {
    const out = join(mkdtempSync(join(tmpdir(), 'nerve-train-')), 'smoke');
    const run = train(out, '--hidden', '16', '--word-dim', '16', '--max-words', '300', '--seed', '3', '--encoder', encoder);
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);
    expect(manifest.training.seed).toBe(3);
    expect(manifest.hyperparameters.encoder).toBe(encoder);
    await expectParity(out);
  }, 300_000);

  it('goes on training a checkpoint with --init: its shape and vocabulary, a record of where it started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-train-'));
    const first = train(join(dir, 'first'), '--hidden', '16', '--word-dim', '16', '--max-words', '300', '--seed', '3');
    expect(first.status, first.stderr).toBe(0);
    // A shape option beside --init is the checkpoint's to decide, not the command line's.
    const more = train(join(dir, 'more'), '--init', join(dir, 'first'), '--hidden', '99', '--seed', '4');
    expect(more.status, more.stderr).toBe(0);
    const parent = JSON.parse(readFileSync(join(dir, 'first', 'manifest.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(dir, 'more', 'manifest.json'), 'utf8'));
    expect(manifest.hyperparameters).toMatchObject({ hidden: 16, word_dim: 16, max_words: 300, seed: 4 });
    expect(manifest.training.initializedFrom).toMatchObject({ name: 'first', seed: 3 });
    expect(manifest.inputs.words).toEqual(parent.inputs.words);
    await expectParity(join(dir, 'more'));
  }, 300_000);
});
