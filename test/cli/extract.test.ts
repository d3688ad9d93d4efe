/**
 * `nerve extract` as a user runs it: the real command on the tiny model fixture, text from
 * the arguments or standard input (one text, or JSON lines), in each output format.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../helpers/paths.js';
import { runNerve } from './run-nerve.js';

const tinyModel = join(fixtures, 'tiny-model');
const extract = (args: string[], input?: string) => runNerve(['extract', '--model', tinyModel, ...args], { input });
// An emoji first: two UTF-16 units but one code point, so the two offset units differ.
const TEXT = '😀 Tomas Berg visited Osterholm.';
const EXPECTED = [
  { text: 'Tomas Berg', type: 'PER', start: 2, end: 12 },
  { text: 'Osterholm', type: 'LOC', start: 21, end: 30 },
];

describe('nerve extract input', () => {
  it('reads one text from standard input when no TEXT is given: the same answer as TEXT', async () => {
    const [piped, argument] = await Promise.all([extract([], TEXT), extract([TEXT])]);
    expect(piped.status, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual(JSON.parse(argument.stdout));
    expect(JSON.parse(piped.stdout).entities).toMatchObject(EXPECTED);
  });

  it('--jsonl: one result line per input line, in order; an unreadable line gets an error line, the rest still run, exit 2', async () => {
    const input = [JSON.stringify({ text: TEXT, id: 7 }), JSON.stringify('Anna Kowalczyk'), '{"text": 5}', '{oops', '', JSON.stringify({ text: 'Ravi Mehta met Tomas Berg.' })].join('\n') + '\n';
    const run = await extract(['--jsonl'], input);
    const lines = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5); // the blank line is no input
    expect(lines[0].entities).toMatchObject(EXPECTED);
    expect(lines[0].model).toEqual({ name: 'tiny', version: '0.0.1' });
    expect(lines[1].entities.map((e: { text: string }) => e.text)).toEqual(['Anna Kowalczyk']);
    expect(lines[2].error).toEqual({ code: 'invalid_input', message: 'line 3 must be a JSON string or an object with a string "text"' });
    expect(lines[3].error.message).toBe('line 4 is not valid JSON');
    expect(lines[4].entities.map((e: { text: string }) => e.text)).toEqual(['Ravi Mehta', 'Tomas Berg']);
    expect(run.stderr).toMatch(/line 3 must be .*\n.*line 4 is not valid JSON/);
    expect(run.stderr).not.toMatch(/oops/); // messages name lines, never their text
    expect(run.status).toBe(2);
  });

  it('--jsonl with only good lines exits 0', async () => {
    const run = await extract(['--jsonl', '--format', 'hf'], `${JSON.stringify(TEXT)}\n${JSON.stringify('.')}`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).length)).toEqual([2, 0]);
  });
});

describe('nerve extract --format', () => {
  it('default: the API\'s shape, unchanged; --offsets utf16 counts UTF-16 units', async () => {
    const run = await extract(['--offsets', 'utf16', TEXT]);
    const body = JSON.parse(run.stdout);
    expect(Object.keys(body)).toEqual(['entities', 'model', 'offsets']);
    expect(body.offsets).toBe('utf16');
    expect(body.entities.map((e: { start: number }) => e.start)).toEqual([3, 22]);
    expect(Object.keys(body.entities[0])).toEqual(['text', 'type', 'start', 'end', 'score']);
  });

  it('comprehend: DetectEntities\' {Entities: [{Score, Type, Text, BeginOffset, EndOffset}]}, Comprehend\'s type names, code points', async () => {
    const body = JSON.parse((await extract(['--format', 'comprehend', TEXT])).stdout);
    expect(Object.keys(body)).toEqual(['Entities']);
    expect(body.Entities).toEqual([
      { Score: expect.any(Number), Type: 'PERSON', Text: 'Tomas Berg', BeginOffset: 2, EndOffset: 12 },
      { Score: expect.any(Number), Type: 'LOCATION', Text: 'Osterholm', BeginOffset: 21, EndOffset: 30 },
    ]);
  });

  it('hf: the token-classification pipeline\'s [{entity_group, score, word, start, end}], code points', async () => {
    const body = JSON.parse((await extract(['--format', 'hf', TEXT])).stdout);
    expect(body).toEqual([
      { entity_group: 'PER', score: expect.any(Number), word: 'Tomas Berg', start: 2, end: 12 },
      { entity_group: 'LOC', score: expect.any(Number), word: 'Osterholm', start: 21, end: 30 },
    ]);
    for (const e of body) expect(e.score).toBeGreaterThan(0);
  });

  it('displacy: the manual format {text, ents: [{start, end, label}], title}, whose offsets slice its text by code points', async () => {
    const body = JSON.parse((await extract(['--format', 'displacy'], TEXT)).stdout);
    expect(body).toEqual({ text: TEXT, ents: [{ start: 2, end: 12, label: 'PER' }, { start: 21, end: 30, label: 'LOC' }], title: null });
    const codePoints = Array.from(body.text as string);
    expect(body.ents.map((e: { start: number; end: number }) => codePoints.slice(e.start, e.end).join(''))).toEqual(['Tomas Berg', 'Osterholm']);
  });
});
