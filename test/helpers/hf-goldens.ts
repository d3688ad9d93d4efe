/** The goldens of tools/hf/make-fixtures.py and how Nerve's entities are held against them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readTransformerFolder } from '../../lambdas/engine/transformer/folder.js';
import type { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { WindowTokenizer } from '../../lambdas/engine/transformer/tokenizer.js';
import { fixtures } from './paths.js';

export const hfFixtures = join(fixtures, 'hf');
export const HF_MODELS = ['bert-wordpiece', 'roberta-bpe', 'xlmr-unigram'] as const;
const SCORE_TOLERANCE = 1e-4;

interface GoldenEntity {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
}
export interface Golden {
  readonly stride: number;
  readonly maxLength: number;
  readonly texts: readonly {
    readonly text: string;
    readonly windows: readonly { ids: number[]; offsets: number[][]; special: number[]; typeIds?: number[] }[];
    readonly entities: Record<string, GoldenEntity[]>;
  }[];
}

export function readGolden(dir: string, model: string): Golden {
  return JSON.parse(readFileSync(join(dir, 'goldens', `${model}.json`), 'utf8'));
}

/** The largest score difference; fails on the first entity whose group, type or offsets differ. */
export async function expectPipelineEntities(model: TransformerModel, golden: Golden, strategy: string): Promise<number> {
  let worst = 0;
  for (const { text, entities } of golden.texts) {
    const got = await model.extract(text);
    const utf16 = await model.extract(text, { offsets: 'utf16' });
    // "none" names a sub-token's label (B-PER); Nerve's entity carries its type. Entities of
    // no characters are not Nerve's (transformer/model.ts says why).
    const kept = entities[strategy]!.filter((e) => e.end > e.start);
    const want = kept.map((e) => ({ type: strategy === 'none' ? e.type.replace(/^[BIES]-/, '') : e.type, start: e.start, end: e.end }));
    expect(got.map(({ type, start, end }) => ({ type, start, end })), `${strategy}: ${JSON.stringify(text.slice(0, 60))}`).toEqual(want);
    got.forEach((e, i) => {
      worst = Math.max(worst, Math.abs(e.score - kept[i]!.score));
      expect(e.text).toBe(text.slice(utf16[i]!.start, utf16[i]!.end));
      expect([...text].slice(e.start, e.end).join('')).toBe(e.text);
    });
  }
  expect(worst).toBeLessThan(SCORE_TOLERANCE);
  return worst;
}

/** The export in `dir` cuts every golden text into the pipeline's windows (ids, offsets, special tokens, type ids). */
export async function expectPipelineWindows(dir: string, golden: Golden): Promise<void> {
  const folder = readTransformerFolder(dir);
  const tokenizer = await WindowTokenizer.load(folder.tokenizerJson, { file: folder.tokenizerPath, maxLength: golden.maxLength, stride: golden.stride, unkToken: folder.unkToken });
  for (const { text, windows } of golden.texts) {
    // Type ids are in the goldens where the model takes them (BERT), as the tokenizer returns them only then.
    const withTypes = windows.some((w) => w.typeIds !== undefined);
    const got = (await tokenizer.windows(text)).map((w) => ({ ids: w.ids, offsets: w.offsets, special: w.special, ...(withTypes ? { typeIds: w.typeIds } : {}) }));
    expect(got, JSON.stringify(text.slice(0, 60))).toEqual(windows);
  }
}
