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
      [['extract', '--model', tinyModel, '--offsets', 'bytes', 'x'], /--offsets must be one of "codepoint", "utf16", got "bytes"/, 2],
    ];
    for (const [args, message, status] of cases) {
      const run = nerve(...args);
      expect(run.stderr).toMatch(message);
      expect(run.status).toBe(status);
    }
  });
});

describe('nerve\'s manners', () => {
  const commands = ['extract', 'ingest', 'search', 'tag', 'eval'];

  it('--version prints the package\'s version', () => {
    const run = nerve('--version');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(`nerve ${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}`);
  });

  it('-h, --help and help print the usage on standard output and exit 0, for nerve and for each command', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = nerve(...args);
      expect(run.status, args.join(' ')).toBe(0);
      for (const c of commands) expect(run.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    for (const c of commands) {
      for (const args of [[c, '--help'], [c, '-h'], ['help', c], [c, '--bogus', '-h']]) {
        const run = nerve(...args);
        expect(run.status, args.join(' ')).toBe(0);
        expect(run.stdout, args.join(' ')).toMatch(new RegExp(`^usage: nerve ${c} `));
        expect(run.stderr).toBe('');
      }
    }
  });

  it('the exit codes are those cli/README.md documents', () => {
    const readme = readFileSync(join(repoRoot, 'cli', 'README.md'), 'utf8');
    for (const code of ['0', '1', '2', '3']) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });

  it('every usage error exits 2 with a message naming the problem on standard error, nothing on standard output', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /a command is needed/],
      [['help', 'nope'], /unknown command "nope"/],
      [['extract', '--bogus', 'x'], /Unknown option '--bogus'/],
      [['extract', '--model'], /--model <value>' argument missing/],
      [['extract', '--format', 'xml', 'x'], /--format must be one of nerve, comprehend, hf, displacy, got "xml"/],
      [['extract', '--format', 'hf', '--offsets', 'utf16', 'x'], /--offsets applies to --format nerve only: hf counts code points/],
      [['extract', '--jsonl', 'x'], /--jsonl reads standard input: give no TEXT/],
      [['extract', '--threads', '1.5', 'x'], /--threads must be a positive integer, got "1.5"/],
      [['tag', '--model', tinyModel], /tag needs --conll FILE/],
      [['eval', '--conll', 'x', '--out', 'y'], /Unknown option '--out'/],
      [['search'], /search needs QUERY/],
      [['search', 'x', '--limit', 'ten'], /--limit must be an integer, got "ten"/],
      [['search', 'x', '--auth', 'basic'], /--auth must be one of iam, jwt, none, got "basic"/],
      [['search', 'x', '--url', 'not a url'], /--url must be an absolute URL/],
      [['search', 'x', '--url', 'http://127.0.0.1:9', '--auth', 'jwt'], /--auth jwt needs a token: pass --token JWT or set NERVE_TOKEN/],
      [['ingest'], /ingest needs at least one file or folder/],
      [['ingest', 'x', '--table', 'T'], /--table goes with --bucket/],
      [['ingest', 'x', '--bucket', 'B'], /needs --table/],
      [['ingest', 'x', '--timeout', '0'], /--timeout must be a positive number of seconds, got "0"/],
    ];
    for (const [args, message] of cases) {
      const run = spawnSync(process.execPath, [join(repoRoot, 'bin', 'nerve.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 60_000, env: { ...process.env, NERVE_TOKEN: '' } });
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout, args.join(' ')).toBe('');
      expect(run.status, args.join(' ')).toBe(2);
    }
  });
});
