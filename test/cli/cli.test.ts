import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConll } from '../../tools/conll.js';
import { fixtures, repoRoot, tinyConll } from '../helpers/paths.js';

const tinyModel = join(fixtures, 'tiny-model');
const nerve = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'bin', 'nerve.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 60_000 });

describe('nerve CLI', () => {
  it('tag writes "token gold predicted" lines, sentence breaks kept', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nerve-cli-')), 'tagged.txt');
    const run = nerve('tag', '--model', tinyModel, '--conll', join(tinyConll, 'test.txt'), '--out', out);
    expect(run.status, run.stderr).toBe(0);
    const gold = parseConll(readFileSync(join(tinyConll, 'test.txt'), 'utf8'));
    const blocks = readFileSync(out, 'utf8').trimEnd().split('\n\n');
    expect(blocks.length).toBe(gold.length);
    blocks.forEach((block, i) => {
      const rows = block.split('\n').map((l) => l.split(' '));
      expect(rows.map((r) => r[0])).toEqual(gold[i]!.tokens);
      expect(rows.map((r) => r[1])).toEqual(gold[i]!.tags);
      for (const r of rows) expect(r).toHaveLength(3);
    });
  });

  it('eval prints conlleval-style scores, and JSON on request', () => {
    const text = nerve('eval', '--model', tinyModel, '--conll', join(tinyConll, 'test.txt'));
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/overall\s+precision\s+\d+\.\d\d%\s+recall\s+\d+\.\d\d%\s+FB1\s+\d+\.\d\d/);
    const json = JSON.parse(nerve('eval', '--model', tinyModel, '--conll', join(tinyConll, 'test.txt'), '--json', '--lowercase').stdout);
    expect(json.lowercase).toBe(true);
    expect(json.overall.f1).toBeGreaterThan(90);
    expect(Object.keys(json.byType)).toEqual(['LOC', 'MISC', 'ORG', 'PER']);
  });

  it('eval --workers runs the model in threads: the same scores, and the process ends', () => {
    const args = ['eval', '--model', tinyModel, '--conll', join(tinyConll, 'test.txt'), '--json', '--documents'];
    const [one, two] = [nerve(...args), nerve(...args, '--workers', '2')];
    expect(two.status, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(one.stdout));
  });

  it('extract prints the entities contract as JSON', () => {
    const run = nerve('extract', '--model', tinyModel, '--offsets', 'utf16', 'Tomas Berg visited Osterholm.');
    expect(run.status, run.stderr).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body.offsets).toBe('utf16');
    expect(body.model).toEqual({ name: 'tiny', version: '0.0.1' });
    expect(body.entities.map((e: { text: string; type: string }) => [e.text, e.type])).toEqual([['Tomas Berg', 'PER'], ['Osterholm', 'LOC']]);
  });

  it('fails with a clear message and a non-zero status on bad input', () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['eval', '--model', tinyModel], /eval needs --conll FILE/, 2],
      [['eval', '--model', 'nope', '--conll', join(tinyConll, 'test.txt')], /no model named "nope"/, 1],
      [['tag', '--model', tinyModel, '--conll', '/no/such/file'], /cannot read \/no\/such\/file: ENOENT/, 1],
      [['frobnicate'], /unknown command "frobnicate"/, 2],
      [['eval', '--model', tinyModel, '--conll', join(tinyConll, 'test.txt'), '--workers', '0'], /--workers must be a positive integer/, 2],
      [['extract', '--model', tinyModel, '--offsets', 'bytes', 'x'], /offsets must be one of/, 1],
    ];
    for (const [args, message, status] of cases) {
      const run = nerve(...args);
      expect(run.stderr).toMatch(message);
      expect(run.status).toBe(status);
    }
  });
});
