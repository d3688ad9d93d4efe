/**
 * Aggregation and label schemes on hand-worked cases: what the goldens cannot show
 * (BIOES, IOB1 and IO labels; ties; overlaps between windows), each with the rule it checks.
 */
import { describe, expect, it } from 'vitest';
import { aggregate, resolveOverlaps, type ScoredToken } from '../../lambdas/engine/transformer/aggregate.js';
import { readLabels } from '../../lambdas/engine/transformer/labels.js';
import { ModelUnsupportedError } from '../../lambdas/shared/errors.js';

const ids = (labels: string[]) => Object.fromEntries(labels.map((l, i) => [String(i), l]));
const IOB2 = readLabels(ids(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']), 'config.json');
const BIOES = readLabels(ids(['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER']), 'config.json');
const IO = readLabels(ids(['O', 'I-PER', 'I-LOC']), 'config.json');

/** Tokens of 3 code points each, one space apart, with the given probabilities. */
function tokens(rows: number[][], subword: boolean[] = rows.map(() => false)): ScoredToken[] {
  return rows.map((p, i) => ({ probs: Float32Array.from(p), start: i * 4, end: i * 4 + 3, isSubword: subword[i]! }));
}
const one = (k: number, id: number, p = 0.9) => Array.from({ length: k }, (_, j) => (j === id ? p : (1 - p) / (k - 1)));

describe('label schemes', () => {
  it('reads IOB2, BIOES and IO and gives the engine IOB2 labels', () => {
    expect(IOB2.scheme).toBe('IOB1/IOB2');
    expect(BIOES.scheme).toBe('BIOES');
    expect(IO.scheme).toBe('IO');
    expect(BIOES.iob2).toEqual(['O', 'B-PER', 'I-PER']);
    expect(IO.iob2).toEqual(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']);
  });

  it('names config.json and the label outside the schemes', () => {
    for (const [labels, message] of [
      [ids(['O', 'B-PER', 'L-PER', 'U-PER']), /config\.json: label "L-PER" is neither O nor B-, I-, E- or S-/],
      [ids(['O', 'PER']), /label "PER"/],
      [{ 0: 'O', 2: 'B-PER' }, /key "2" is not an id from 0 to 1/],
      [undefined, /has no "id2label" object/],
    ] as const) {
      expect(() => readLabels(labels, 'config.json')).toThrow(ModelUnsupportedError);
      expect(() => readLabels(labels, 'config.json')).toThrow(message);
    }
  });
});

describe('aggregation', () => {
  it('simple: B starts, I of the same type continues, an I after O starts an entity (IOB1), and O groups are dropped', () => {
    const t = tokens([one(5, 2), one(5, 2), one(5, 1), one(5, 0), one(5, 4), one(5, 2)]);
    expect(aggregate(t, 'simple', IOB2).map(({ type, start, end }) => [type, start, end])).toEqual([
      ['PER', 0, 7],
      ['PER', 8, 11],
      ['LOC', 16, 19],
      ['PER', 20, 23],
    ]);
  });

  it('BIOES: S- begins like B-, E- continues like I- (where the pipeline would cut before E-)', () => {
    const t = tokens([one(5, 1), one(5, 2), one(5, 3), one(5, 4), one(5, 4)]);
    expect(aggregate(t, 'simple', BIOES).map(({ start, end }) => [start, end])).toEqual([
      [0, 11],
      [12, 15],
      [16, 19],
    ]);
  });

  it('IO: neighbours of one type are one entity', () => {
    const t = tokens([one(3, 1), one(3, 1), one(3, 2)]);
    expect(aggregate(t, 'simple', IO).map(({ type, start, end }) => [type, start, end])).toEqual([
      ['PER', 0, 7],
      ['LOC', 8, 11],
    ]);
  });

  it('none: every sub-token outside O is its own entity, scored by its own probability', () => {
    const t = tokens([one(5, 1, 0.8), one(5, 2, 0.6), one(5, 0)]);
    expect(aggregate(t, 'none', IOB2)).toEqual([
      { type: 'PER', start: 0, end: 3, score: expect.closeTo(0.8, 6) },
      { type: 'PER', start: 4, end: 7, score: expect.closeTo(0.6, 6) },
    ]);
  });

  it('first, max, average: a word takes one label from its sub-tokens, as the pipeline decides it', () => {
    // One word of four sub-tokens: the first says PER (0.5), the third is the most confident
    // (LOC 0.9), and on average O wins (0.459 against LOC's 0.268 and PER's 0.149).
    const rows = [
      [0.1, 0.5, 0.2, 0.1, 0.1],
      [0.85, 0.0375, 0.0375, 0.0375, 0.0375],
      [0.025, 0.025, 0.025, 0.9, 0.025],
      [0.86, 0.035, 0.035, 0.035, 0.035],
    ];
    const word = tokens(rows, [false, true, true, true]);
    expect(aggregate(word, 'first', IOB2)).toEqual([{ type: 'PER', start: 0, end: 15, score: expect.closeTo(0.5, 6) }]);
    expect(aggregate(word, 'max', IOB2)).toEqual([{ type: 'LOC', start: 0, end: 15, score: expect.closeTo(0.9, 6) }]);
    expect(aggregate(word, 'average', IOB2)).toEqual([]);
  });

  it('scores an entity by the mean of its tokens', () => {
    const t = tokens([one(5, 1, 0.9), one(5, 2, 0.5)]);
    expect(aggregate(t, 'simple', IOB2)[0]!.score).toBeCloseTo(0.7, 6);
  });

  it('takes the first label of equal probabilities, as numpy.argmax does', () => {
    expect(aggregate(tokens([[0.1, 0.45, 0.0, 0.45, 0.0]]), 'simple', IOB2)[0]!.type).toBe('PER');
  });
});

describe('windows stitched', () => {
  it('keeps the longer of overlapping entities, then the more probable, and never one twice', () => {
    const cut = { type: 'PER', start: 10, end: 14, score: 0.99 }; // "Merk" at the edge of window 1
    const whole = { type: 'PER', start: 10, end: 16, score: 0.8 }; // "Merkel" in window 2
    const again = { type: 'LOC', start: 30, end: 35, score: 0.6 };
    const better = { type: 'ORG', start: 30, end: 35, score: 0.7 };
    expect(resolveOverlaps([cut, again, whole, better])).toEqual([whole, better]);
    expect(resolveOverlaps([])).toEqual([]);
  });
});
