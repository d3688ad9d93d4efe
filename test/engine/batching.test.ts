import { describe, expect, it } from 'vitest';
import { planBatches } from '../../lambdas/engine/batching.js';

const padded = (lengths: number[], batches: number[][]) => batches.reduce((sum, b) => sum + b.length * Math.max(...b.map((i) => lengths[i]!)), 0);

describe('planBatches', () => {
  it('uses every window exactly once and respects the batch size', () => {
    const lengths = Array.from({ length: 200 }, (_, i) => ((i * 37) % 61) + 1);
    const batches = planBatches(lengths, 32);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(32);
  });

  it('groups windows of similar length, so padding is a small share of the work', () => {
    const lengths = Array.from({ length: 256 }, (_, i) => ((i * 53) % 60) + 3);
    const real = lengths.reduce((a, b) => a + b, 0);
    const arrival = Array.from({ length: 8 }, (_, k) => Array.from({ length: 32 }, (_, i) => k * 32 + i));
    expect(padded(lengths, arrival) / real).toBeGreaterThan(1.6);
    expect(padded(lengths, planBatches(lengths, 32)) / real).toBeLessThan(1.1);
  });

  it('keeps a few short windows in one call rather than paying a call each', () => {
    expect(planBatches([5, 6, 7, 5], 32)).toEqual([[0, 3, 1, 2]]);
    expect(planBatches([3, 120], 32).length).toBe(2);
    expect(planBatches([], 32)).toEqual([]);
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => planBatches([1], 0)).toThrow(RangeError);
  });
});
