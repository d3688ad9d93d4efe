import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/shared/errors.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import { expectParity } from '../helpers/parity.js';
import { fixtures } from '../helpers/paths.js';
import { join } from 'node:path';

const tinyModel = join(fixtures, 'tiny-model');
const SENTENCE = 'Anna Kowalczyk of Halvard Bank met Ravi Mehta in Port Avery on Friday.';

let tagger: Tagger;
beforeAll(async () => {
  tagger = await Tagger.load(tinyModel);
});
afterAll(() => tagger.release());

describe('Tagger (tiny fixture model)', () => {
  it('matches the emissions PyTorch computed at export, within 1e-4', async () => {
    await expectParity(tinyModel);
  });

  it('finds the entities of a sentence like its training data, with offsets and probabilities', async () => {
    const entities = await tagger.extract(SENTENCE);
    expect(entities.map((e) => [e.text, e.type])).toEqual([
      ['Anna Kowalczyk', 'PER'],
      ['Halvard Bank', 'ORG'],
      ['Ravi Mehta', 'PER'],
      ['Port Avery', 'LOC'],
    ]);
    for (const e of entities) {
      expect(SENTENCE.slice(e.start, e.end)).toBe(e.text);
      expect(e.score).toBeGreaterThan(0.5);
      expect(e.score).toBeLessThanOrEqual(1);
    }
  });

  it('reports offsets in code points by default and in UTF-16 units on request', async () => {
    const text = `👍🏽 ${SENTENCE}`;
    const cp = await tagger.extract(text);
    const u16 = await tagger.extract(text, { offsets: 'utf16' });
    expect(cp[0]!.start).toBe(3);
    expect(u16[0]!.start).toBe(5);
    expect(Array.from(text).slice(cp[0]!.start, cp[0]!.end).join('')).toBe('Anna Kowalczyk');
    expect(text.slice(u16[0]!.start, u16[0]!.end)).toBe('Anna Kowalczyk');
  });

  it('gives no entities for empty or white-space text', async () => {
    expect(await tagger.extract('')).toEqual([]);
    expect(await tagger.extract(' \n\t\u200B ')).toEqual([]);
  });

  it('rejects a text that is not a string and an unknown offsets unit, naming the problem', async () => {
    await expect(tagger.extract(42)).rejects.toThrow(InvalidInputError);
    await expect(tagger.extract(null)).rejects.toThrow(/text must be a string, got null/);
    await expect(tagger.extract('x', { offsets: 'bytes' as never })).rejects.toThrow(/offsets must be one of "codepoint", "utf16"/);
  });

  it('tags a long text in windows with no entity lost or duplicated at a window edge', async () => {
    // One unpunctuated "sentence" of 25 repetitions (11 tokens each), cut into 16-token windows.
    const unit = 'Anna Kowalczyk met Ravi Mehta in Port Avery and Tomas Berg ';
    const text = unit.repeat(25);
    const windowed = await Tagger.load(tinyModel, { windowTokens: 16, windowContext: 4, batchWindows: 3 });
    try {
      const entities = await windowed.extract(text);
      expect(entities.map((e) => e.text)).toEqual(Array(25).fill(['Anna Kowalczyk', 'Ravi Mehta', 'Port Avery', 'Tomas Berg']).flat());
      for (const e of entities) expect(Array.from(text).slice(e.start, e.end).join('')).toBe(e.text);
      const unwindowed = await tagger.extract(text);
      expect(entities.map((e) => [e.start, e.end, e.type])).toEqual(unwindowed.map((e) => [e.start, e.end, e.type]));
    } finally {
      await windowed.release();
    }
  });

  it('labels pre-tokenized sentences of any length in one call, padding included', async () => {
    const labels = await tagger.labelSentences([['Anna', 'Kowalczyk', 'said', '.'], [], ['Brindle']]);
    expect(labels).toEqual([['B-PER', 'I-PER', 'O', 'O'], [], ['B-LOC']]);
  });

  it('property: for random text every entity is the text sliced at its offsets, spans ordered and disjoint', async () => {
    const pieces = fc.constantFrom('Anna Kowalczyk', 'Port Avery', ' ', '. ', '\r\n', '\t', '👍🏽', '東京', 'e\u0301', '\u200B', '\uD800', '\u0000', 'Halvard Bank');
    const texts = fc.oneof(fc.array(pieces, { maxLength: 30 }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 120 }));
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        const cps = Array.from(text);
        const [cp, u16] = [await tagger.extract(text), await tagger.extract(text, { offsets: 'utf16' })];
        expect(cp.length).toBe(u16.length);
        cp.forEach((e, i) => {
          expect(cps.slice(e.start, e.end).join('')).toBe(e.text);
          expect(text.slice(u16[i]!.start, u16[i]!.end)).toBe(e.text);
          expect(e.score).toBeGreaterThanOrEqual(0);
          expect(e.score).toBeLessThanOrEqual(1);
          if (i > 0) expect(e.start).toBeGreaterThanOrEqual(cp[i - 1]!.end);
        });
      }),
      { numRuns: 200 },
    );
  });
});
