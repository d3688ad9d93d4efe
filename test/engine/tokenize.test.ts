import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePointsBetween, tokenize } from '../../lambdas/engine/tokenize.js';

const texts = (s: string) => [...tokenize(s)].map((t) => t.text);

function expectExactOffsets(text: string) {
  const cps = Array.from(text);
  let prevEnd = 0;
  for (const t of tokenize(text)) {
    expect(text.slice(t.start, t.end)).toBe(t.text);
    expect(cps.slice(t.cpStart, t.cpEnd).join('')).toBe(t.text);
    expect(t.start).toBeGreaterThanOrEqual(prevEnd);
    expect(t.end).toBeGreaterThan(t.start);
    prevEnd = t.end;
  }
}

describe('tokenize', () => {
  it('splits like CoNLL-2003', () => {
    expect(texts("Germany's U.S. unit, AT&T Inc. and O'Neill paid $1,000.50 on 1996-08-22.")).toEqual([
      'Germany', "'s", 'U.S.', 'unit', ',', 'AT&T', 'Inc.', 'and', "O'Neill", 'paid', '$', '1,000.50', 'on', '1996-08-22', '.',
    ]);
    expect(texts('the 1990s, F-16s and pre-war talks')).toEqual(['the', '1990s', ',', 'F-16s', 'and', 'pre-war', 'talks']);
  });

  it('gives exact offsets in both units for emoji, CJK, combining accents and control characters', () => {
    const text = 'Cafe\u0301 👍🏽 met 👨‍👩‍👧 in 東京\r\n\tBerlin\u200Bnow \uD800 x\u0000y';
    expectExactOffsets(text);
    const tokens = [...tokenize(text)];
    const berlin = tokens.find((t) => t.text === 'Berlin')!;
    expect(berlin.afterNewline).toBe(true);
    expect(tokens.map((t) => t.text)).toContain('Cafe\u0301'); // the accent stays on its word
    expect(tokens.map((t) => t.text)).toContain('👨‍👩‍👧'); // a ZWJ family is one token
    expect(tokens.map((t) => t.text)).toContain('\uD800'); // a lone surrogate is kept, not dropped
    const emoji = tokens.find((t) => t.text === '👍🏽')!;
    expect([emoji.end - emoji.start, emoji.cpEnd - emoji.cpStart]).toEqual([4, 2]);
  });

  it('treats zero-width spaces as separators and keeps zero-width joiners inside words', () => {
    expect(texts('Berlin\u200BParis')).toEqual(['Berlin', 'Paris']);
    expect(texts('\uFEFFHello')).toEqual(['Hello']);
  });

  it('yields no tokens for empty or white-space text', () => {
    expect(texts('')).toEqual([]);
    expect(texts(' \t\r\n\u200B ')).toEqual([]);
  });

  it('counts code points the way Array.from does, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(codePointsBetween(s, 0, s.length)).toBe(Array.from(s).length);
      }),
    );
  });

  it('property: every token is the text sliced at its offsets, in both units, in order', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), expectExactOffsets), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), expectExactOffsets), { numRuns: 300 });
  });

  it('property: every non-space character belongs to some token', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const covered = new Uint8Array(s.length);
        for (const t of tokenize(s)) covered.fill(1, t.start, t.end);
        for (let i = 0; i < s.length; i++) {
          if (!covered[i]) expect(/[\s\u200B\u2060\uFEFF]/.test(s[i]!)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
