/** The Python loaders' tolerance of the datasets' quirks (models/train/test_datasets.py). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasTorch && process.env.NERVE_REQUIRE_TRAINING !== '1')('training data loaders', () => {
  it('tolerate tabs, tab-only separators, BOMs, a missing final newline, -DOCSTART- and IOB1', () => {
    const run = spawnSync(PYTHON, ['-m', 'unittest', '-q', 'test_datasets'], { cwd: join(repoRoot, 'models', 'train'), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Ran 7 tests/);
  });
});
