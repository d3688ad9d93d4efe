/**
 * The transformer family behind the engine's one surface: loaded by loadModel like any
 * model, answering pre-tokenized sentences (evaluation), analyses (search), long texts in
 * bounded pieces, batches of any size and worker threads with the same results, and odd
 * input without failing at request time.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../lambdas/engine/load.js';
import type { NerModel } from '../../lambdas/engine/model.js';
import { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { InvalidInputError, ModelInvalidError } from '../../lambdas/shared/errors.js';
import { hfFixtures, readGolden } from '../helpers/hf-goldens.js';
import { fixtures } from '../helpers/paths.js';

const bert = join(fixtures, 'hf', 'bert-wordpiece');
const roberta = join(fixtures, 'hf', 'roberta-bpe');
const sentence = 'Angela Merkel met Siemens executives in Munich on Tuesday.';
const paragraph = Array.from({ length: 6 }, () => sentence).join(' ');

describe('a transformer through the engine', () => {
  let model: TransformerModel;
  beforeAll(async () => {
    model = (await loadModel(roberta, { aggregation: 'first' })) as TransformerModel;
  });
  afterAll(() => model.release());

  it('is picked by loadModel from the folder, with IOB2 labels, a name and a version', () => {
    expect(model).toBeInstanceOf(TransformerModel);
    expect(model.labels).toEqual(['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC']);
    expect(model.model).toEqual({ name: 'roberta-bpe', version: expect.stringMatching(/^sha256-[0-9a-f]{12}$/) });
    expect(model.provider).toBe('cpu');
    expect(model.aggregation).toBe('first');
  });

  it('tags pre-tokenized sentences as the same words joined by spaces, each entity over the words it touches', async () => {
    const words = sentence.replace('.', ' .').split(' ');
    const [spans] = await model.spanSentences([words]);
    const entities = await model.extract(words.join(' '), { offsets: 'utf16' });
    expect(entities.length).toBeGreaterThan(0);
    expect(spans!.length).toBeGreaterThan(0);
    // Every entity lies inside the words of a span, and every span's words touch an entity.
    const starts = words.map((_, i) => words.slice(0, i).join(' ').length + (i > 0 ? 1 : 0));
    for (const e of entities) {
      expect(spans!.some((s) => starts[s.start]! <= e.start && e.end <= starts[s.end - 1]! + words[s.end - 1]!.length)).toBe(true);
    }
    const [tags] = await model.labelSentences([words]);
    expect(tags).toHaveLength(words.length);
    expect(tags!.every((t, i) => !t.startsWith('I-') || (i > 0 && tags![i - 1]!.slice(2) === t.slice(2)))).toBe(true);
    expect(await model.spanSentences([[]])).toEqual([[]]);
  });

  it("analyzes a text into Nerve's tokens and sentences, each entity as the tokens it touches in the sentence where it starts", async () => {
    const analysis = await model.analyze(paragraph);
    const entities = await model.extract(paragraph, { offsets: 'utf16' });
    expect(analysis.sentences).toHaveLength(6);
    const covered = analysis.spans.flatMap((spans, s) => spans.map((sp) => [analysis.sentences[s]![sp.start]!.start, analysis.sentences[s]![sp.end - 1]!.end]));
    // The model may run an entity over a sentence end ("Tuesday. Angela"): its span stops there.
    for (const e of entities) expect(covered.some(([from, to]) => from! <= e.start && e.start < to! && (e.end <= to! || /[.?!]/.test(e.text)))).toBe(true);
  });

  it('does not fail at request time on odd text, and refuses what is not text as the caller\'s mistake', async () => {
    for (const text of ['', '   ', '\ud800 Merkel \udfff', 'x'.repeat(20_000), '\u0000\u0007 Bonn', '🇫🇷'.repeat(500), `${'Merkel '.repeat(3000)}.`]) {
      const entities = await model.extract(text, { offsets: 'utf16' });
      for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.text);
    }
    await expect(model.extract(42)).rejects.toThrow(InvalidInputError);
    await expect(model.extract('Bonn', { offsets: 'bytes' as never })).rejects.toThrow(InvalidInputError);
  });
});

describe('long texts and batches', () => {
  const models: NerModel[] = [];
  afterAll(() => Promise.all(models.map((m) => m.release())));
  const load = async (options: object) => {
    const m = await loadModel(bert, { aggregation: 'first', ...options });
    models.push(m);
    return m;
  };

  it('reads a long text in pieces of whole sentences, so each piece is read alone and none is read twice', async () => {
    // 16 of Nerve's tokens a piece: two sentences. BERT ignores the space between pieces,
    // so every piece gives the entities of the first two sentences, shifted.
    const pieces = await load({ windowTokens: 8, windowContext: 2, batchWindows: 2 });
    const pair = await pieces.extract(`${sentence} ${sentence}`);
    const all = await pieces.extract(paragraph);
    const shift = (sentence.length + 1) * 2;
    expect(pair.length).toBeGreaterThan(0);
    expect(all).toEqual([0, 1, 2].flatMap((p) => pair.map((e) => ({ ...e, start: e.start + p * shift, end: e.end + p * shift }))));
  });

  it('gives the same entities whatever the batch size, windows padded or not', async () => {
    // The same pieces (windowTokens x batchWindows of Nerve's tokens) either way.
    const one = await load({ batchWindows: 1, windowTokens: 4096 });
    const many = await load({ batchWindows: 32, windowTokens: 128 });
    const text = Array.from({ length: 12 }, (_, i) => `${sentence} Peter Blackburn (${i}) spoke in Brussels.`).join(' ');
    const a = await one.extract(text);
    const b = await many.extract(text);
    expect(b.map(({ score, ...e }) => e)).toEqual(a.map(({ score, ...e }) => e));
    b.forEach((e, i) => expect(e.score).toBeCloseTo(a[i]!.score, 5));
  });

  it('runs in worker threads with the results of the calling thread', async () => {
    const here = await load({});
    const threads = await load({ workers: 2 });
    const sentences = Array.from({ length: 40 }, (_, i) => `${sentence} Berlin ${i} .`.split(' '));
    expect(threads.labels).toEqual(here.labels);
    expect(await threads.spanSentences(sentences)).toEqual(await here.spanSentences(sentences));
  });
});

describe('an int8 copy of an export', () => {
  it('runs with onnxFile, and finds nearly the entities of the fp32 model', async () => {
    const fp32 = await loadModel(bert);
    const int8 = await loadModel(bert, { onnxFile: 'model_quantized.onnx' });
    const key = (e: { type: string; start: number; end: number }) => `${e.type}:${e.start}:${e.end}`;
    let same = 0;
    let found = 0;
    for (const { text } of readGolden(hfFixtures, 'bert-wordpiece').texts) {
      const a = new Set((await fp32.extract(text)).map(key));
      const b = (await int8.extract(text)).map(key);
      same += b.filter((k) => a.has(k)).length;
      found += a.size + b.length;
    }
    // Agreement as F1 between the two: int8 moves some scores, and an argmax near a tie.
    expect((2 * same) / found).toBeGreaterThan(0.85);
    await Promise.all([fp32.release(), int8.release()]);
    await expect(loadModel(bert, { onnxFile: 'model_int4.onnx' })).rejects.toThrow(ModelInvalidError);
    await expect(loadModel(bert, { onnxFile: 'model_int4.onnx' })).rejects.toThrow(/is not a Hugging Face token-classification export: model_int4\.onnx is missing/);
  });
});
