import { describe, expect, it } from 'vitest';
import { chunks, evaluate } from '../../tools/conlleval.js';

describe('conlleval rules', () => {
  it('reads IOB2: B- opens, I- continues', () => {
    expect([...chunks(['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC'])]).toEqual(['0:2:PER', '3:4:LOC', '4:5:LOC']);
  });

  it('reads IOB1: I- opens after O, B- only splits two adjacent entities of one type', () => {
    expect([...chunks(['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC'])]).toEqual(['0:2:PER', '2:3:PER', '4:5:LOC']);
  });

  it('reads IO: a change of type splits, a run of one type is one chunk', () => {
    expect([...chunks(['I-ORG', 'I-ORG', 'I-LOC', 'O', 'I-LOC'])]).toEqual(['0:2:ORG', '2:3:LOC', '4:5:LOC']);
  });

  it('treats a stray I- of another type (invalid IOB2) as a new chunk, as conlleval does', () => {
    expect([...chunks(['B-PER', 'I-LOC', 'I-LOC'])]).toEqual(['0:1:PER', '1:3:LOC']);
  });

  it('scores hand-worked cases', () => {
    const gold = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-ORG', 'O']];
    const pred = [['B-PER', 'O', 'O', 'B-LOC'], ['B-ORG', 'B-MISC']];
    // gold chunks: PER(0-2), LOC, ORG = 3; predicted: PER(0-1), LOC, ORG, MISC = 4; correct: LOC, ORG = 2
    const r = evaluate(gold, pred);
    expect(r.overall.counts).toEqual({ correct: 2, predicted: 4, gold: 3 });
    expect(r.overall.precision).toBeCloseTo(50, 10);
    expect(r.overall.recall).toBeCloseTo(66.6667, 3);
    expect(r.overall.f1).toBeCloseTo(57.1429, 3);
    expect(r.byType.PER!.counts).toEqual({ correct: 0, predicted: 1, gold: 1 });
    expect(r.byType.MISC!.f1).toBe(0);
    expect(r.tokenAccuracy).toBeCloseTo((4 / 6) * 100, 10);
  });

  it('refuses mismatched lengths instead of scoring garbage', () => {
    expect(() => evaluate([['O']], [['O', 'O']])).toThrow(/1 gold tags but 2 predicted/);
  });
});
