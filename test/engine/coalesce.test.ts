import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CoalescingModel } from '../../lambdas/engine/coalesce.js';
import type { NerModel } from '../../lambdas/engine/model.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import { fixtures } from '../helpers/paths.js';

const documents = [
  [['Anna', 'Kowalczyk', 'of', 'Halvard', 'Bank', 'met', 'Ravi', 'Mehta', '.'], ['He', 'flew', 'to', 'Port', 'Avery', '.']],
  [['Tomas', 'Berg', 'visited', 'Osterholm', '.']],
  [[], ['Halvard', 'Bank', 'said', 'so', '.']],
];

/** Counts the calls that reach the real model. */
function counting(inner: NerModel) {
  const calls: number[] = [];
  const model = Object.create(inner) as NerModel;
  model.spanSentences = (batch) => {
    calls.push(batch.length);
    return inner.spanSentences(batch);
  };
  return { model, calls };
}

describe('CoalescingModel', () => {
  it('merges concurrent documents into one model call and gives each its own spans', async () => {
    const tagger = await Tagger.load(join(fixtures, 'tiny-model'));
    try {
      const alone = await Promise.all(documents.map((d) => tagger.spanSentences(d)));
      const { model, calls } = counting(tagger);
      const shared = new CoalescingModel(model);
      expect(await Promise.all(documents.map((d) => shared.spanSentences(d)))).toEqual(alone);
      expect(calls).toEqual([5]);
      // Bounded merges: no call over maxSentences unless one document alone is larger.
      calls.length = 0;
      const bounded = new CoalescingModel(model, 2);
      expect(await Promise.all(documents.map((d) => bounded.spanSentences(d)))).toEqual(alone);
      expect(calls).toEqual([2, 1, 2]);
    } finally {
      await tagger.release();
    }
  });

  it('fails the documents of a call that failed, and serves the next ones', async () => {
    const tagger = await Tagger.load(join(fixtures, 'tiny-model'));
    try {
      let fail = true;
      const flaky = Object.create(tagger) as NerModel;
      flaky.spanSentences = (batch) => (fail ? Promise.reject(new Error('runtime fault')) : tagger.spanSentences(batch));
      const shared = new CoalescingModel(flaky);
      const first = await Promise.allSettled(documents.map((d) => shared.spanSentences(d)));
      expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      fail = false;
      expect(await shared.spanSentences(documents[1]!)).toEqual(await tagger.spanSentences(documents[1]!));
    } finally {
      await tagger.release();
    }
  });
});
