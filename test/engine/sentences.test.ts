import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sentences, windows } from '../../lambdas/engine/sentences.js';
import { tokenize } from '../../lambdas/engine/tokenize.js';

const split = (text: string) => [...sentences(tokenize(text))].map((s) => s.map((t) => t.text).join(' '));

describe('sentences', () => {
  it('splits at terminal punctuation before a capital, not inside abbreviations or numbers', () => {
    expect(split('Mr. Smith paid 3.5 million. Then he left! "Why?" she asked.')).toEqual([
      'Mr. Smith paid 3.5 million .',
      'Then he left !',
      '" Why ? " she asked .',
    ]);
  });

  it('splits at blank lines (paragraphs) and keeps wrapped lines together', () => {
    expect(split('TITLE LINE\n\nBody starts here\nand wraps here.')).toEqual(['TITLE LINE', 'Body starts here and wraps here .']);
  });
});

describe('windows', () => {
  it('returns one window for a short sentence', () => {
    expect(windows(10, 128, 16)).toEqual([{ start: 0, end: 10, ownStart: 0, ownEnd: 10 }]);
  });

  it('property: own regions tile the sentence exactly, with context on each inner edge', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 3, max: 200 }), fc.integer({ min: 0, max: 40 }), (n, size, ctx) => {
        fc.pre(size > 2 * ctx);
        const ws = windows(n, size, ctx);
        let at = 0;
        for (const w of ws) {
          expect(w.ownStart).toBe(at);
          expect(w.end - w.start).toBeLessThanOrEqual(size);
          expect(w.start).toBeLessThanOrEqual(w.ownStart);
          expect(w.ownEnd).toBeLessThanOrEqual(w.end);
          if (w.ownStart > 0) expect(w.ownStart - w.start).toBe(ctx);
          if (w.ownEnd < n) expect(w.end - w.ownEnd).toBe(ctx);
          at = w.ownEnd;
        }
        expect(at).toBe(n);
      }),
    );
  });

  it('rejects a window that cannot hold its own context', () => {
    expect(() => windows(10, 8, 4)).toThrow(/must exceed twice the context/);
  });
});
