/**
 * Conformance with the real Hugging Face toolchain: tiny models made and exported by HF's
 * own libraries (tools/hf/make-fixtures.py), and the goldens transformers'
 * pipeline("token-classification") wrote for every aggregation strategy over the same
 * texts (news, lower case, Unicode, paragraphs of many windows). Nerve, through the engine
 * code the Lambdas run, must give the same windows (ids, offsets) and the same entities
 * (types, exact code-point offsets, scores within 1e-4).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATIONS } from '../../lambdas/engine/transformer/aggregate.js';
import { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { expectPipelineEntities, expectPipelineWindows, hfFixtures, HF_MODELS, readGolden } from '../helpers/hf-goldens.js';

describe.each(HF_MODELS)('%s against transformers', (name) => {
  const dir = join(hfFixtures, name);
  const golden = readGolden(hfFixtures, name);
  const models = new Map<string, TransformerModel>();
  beforeAll(async () => {
    for (const strategy of AGGREGATIONS) models.set(strategy, await TransformerModel.load(dir, { aggregation: strategy, stride: golden.stride }));
  });
  afterAll(async () => {
    for (const m of models.values()) await m.release();
  });

  it('covers what the issue asks: 50+ texts, lower case, Unicode, texts of several windows, entities found', () => {
    expect(golden.texts.length).toBeGreaterThanOrEqual(50);
    expect(golden.texts.some((t) => t.text !== '' && t.text === t.text.toLowerCase() && /[a-z]{3}/.test(t.text))).toBe(true);
    expect(golden.texts.some((t) => /[^\u0000-\u00ff]/u.test(t.text) && [...t.text].length < t.text.length)).toBe(true);
    expect(golden.texts.filter((t) => t.windows.length > 2).length).toBeGreaterThanOrEqual(3);
    expect(golden.texts[0]!.windows[0]!.special.at(0)).toBe(1); // the post-processor's special tokens are there
    for (const strategy of AGGREGATIONS) expect(golden.texts.flatMap((t) => t.entities[strategy]!).length).toBeGreaterThan(20);
  });

  it("cuts every text into the pipeline's windows: the same ids, offsets, special tokens and type ids as Python's tokenizers", async () => {
    await expectPipelineWindows(dir, golden);
  });

  it.each(AGGREGATIONS)('gives the pipeline\'s entities with aggregation "%s"', async (strategy) => {
    await expectPipelineEntities(models.get(strategy)!, golden, strategy);
  });
});
