/**
 * Mixed ensembles: a BiLSTM-CRF tagger (models/small) and a Hugging Face transformer
 * (the tiny BERT fixture) in one ensemble folder, loaded and run through the calls the
 * handlers make; the combination checked against each member's own reading, and the
 * transformer's word reading (transformer/words.ts) against numbers worked out by hand.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrfDecoder } from '../../lambdas/engine/crf.js';
import { Ensemble } from '../../lambdas/engine/ensemble.js';
import { loadModel } from '../../lambdas/engine/load.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import { readLabels } from '../../lambdas/engine/transformer/labels.js';
import { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { iob2Distributions, wordSpanProbabilities } from '../../lambdas/engine/transformer/words.js';
import { fixtures, repoRoot, smallModel } from '../helpers/paths.js';

const bert = join(fixtures, 'hf', 'bert-wordpiece');
const target = ['O', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER'];

/** An ensemble folder naming `members` (absolute folders) with their weights, and a gate if given. */
function ensembleOf(members: Array<{ dir: string; weight: number; aggregation?: string; gated?: boolean }>, gate?: { confidentAbove: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-mixed-'));
  const entries = members.map(({ dir: member, ...rest }) => ({ path: relative(dir, member), ...rest }));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'mixed', version: '1', format: 'nerve-ensemble/1', members: entries, combination: 'test', ...(gate ? { gate } : {}) }));
  return dir;
}

describe("a transformer's words read as IOB2 (worked by hand)", () => {
  // BIOES labels of one type: O, B-PER, I-PER, E-PER, S-PER.
  const bioes = readLabels({ 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'E-PER', 4: 'S-PER' }, 'config.json');
  const perOnly = ['O', 'B-PER', 'I-PER'];
  // Three words: "Anna" mostly B, "Kowalczyk" mostly E, "spoke" mostly O.
  const dist = Float32Array.from([0.1, 0.6, 0.0, 0.1, 0.2, 0.1, 0.1, 0.2, 0.6, 0.0, 0.8, 0.0, 0.1, 0.1, 0.0]);

  it('begins with B- and S-; I- and E- continue a word of the same type and begin one otherwise', () => {
    const out = Array.from(iob2Distributions(dist, 3, bioes, perOnly), (p) => Number(p.toFixed(6)));
    // Word 0: nothing before it, so all PER mass (0.9) begins. Word 1: PER mass 0.9, of which
    // continuing (I, E) 0.8; the word before is PER with 0.9: I = 0.8 x 0.9 = 0.72, B = 0.9 - 0.72 = 0.18.
    // Word 2: continuing 0.2, before PER 0.9: I = 0.18, B = 0.2 - 0.18 = 0.02.
    expect(out).toEqual([0.1, 0.9, 0, 0.1, 0.18, 0.72, 0.8, 0.02, 0.18]);
  });

  it('gives the probability of exactly a span: it begins, every later word continues, the next word does not', () => {
    const [two, one, last] = wordSpanProbabilities(dist, 3, bioes, [
      { start: 0, end: 2, type: 'PER' },
      { start: 0, end: 1, type: 'PER' },
      { start: 2, end: 3, type: 'PER' },
    ]);
    expect(two).toBeCloseTo(0.9 * 0.8 * (1 - 0.2), 6); // begins 0.9, continues 0.8, word 2 does not continue
    expect(one).toBeCloseTo(0.9 * (1 - 0.8), 6);
    expect(last).toBeCloseTo(0.02, 6); // the last word: nothing after it to stop
    expect(wordSpanProbabilities(dist, 3, bioes, [{ start: 0, end: 1, type: 'LOC' }])).toEqual([0]);
  });

  it('reads IO labels by the same rule: I- after a word of another type begins', () => {
    const io = readLabels({ 0: 'O', 1: 'I-PER', 2: 'I-LOC' }, 'config.json');
    const words = Float32Array.from([0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.5, 0.5]);
    const out = Array.from(iob2Distributions(words, 3, io, ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']), (p) => Number(p.toFixed(6)));
    // PER, then LOC (begins: the word before is not LOC), then half PER (begins) and half LOC (continues).
    expect(out).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0.5, 0, 0, 0.5]);
  });
});

describe('an ensemble of a BiLSTM-CRF tagger and a transformer', () => {
  const text = 'Angela Merkel met Siemens executives in Munich. 👋 Peter Blackburn of the European Commission spoke in Brussels.';
  const words = ['Anna', 'Kowalczyk', 'of', 'Halvard', 'Bank', 'met', 'Ravi', 'Mehta', 'in', 'Port', 'Avery', '.'];
  let mixed: Ensemble;
  let tagger: Tagger;
  let transformer: TransformerModel;
  beforeAll(async () => {
    mixed = (await loadModel(ensembleOf([{ dir: smallModel, weight: 1 }, { dir: bert, weight: 3 }]))) as Ensemble;
    tagger = await Tagger.load(smallModel);
    transformer = await TransformerModel.load(bert);
  });
  afterAll(async () => {
    await Promise.all([mixed, tagger, transformer].map((m) => m.release()));
  });

  it('loads from one manifest naming both families, and says it is an ensemble of them', () => {
    expect(mixed).toBeInstanceOf(Ensemble);
    expect(mixed.family).toBe('ensemble');
    expect(mixed.members.map((m) => m.family)).toEqual(['bilstm-crf', 'transformer']);
    expect(mixed.labels).toEqual(target); // the first member's, though BERT orders its labels otherwise
    expect(transformer.labels).not.toEqual(target);
  });

  it("finds entities in free text with exact offsets in code points and UTF-16, as the handlers call it", async () => {
    const byCodePoint = await mixed.extract(text);
    const byUtf16 = await mixed.extract(text, { offsets: 'utf16' });
    const points = Array.from(text);
    expect(byCodePoint.map((e) => e.text)).toEqual(expect.arrayContaining(['Angela Merkel', 'Munich', 'Brussels']));
    byCodePoint.forEach((e, i) => {
      expect(points.slice(e.start, e.end).join('')).toBe(e.text);
      expect(text.slice(byUtf16[i]!.start, byUtf16[i]!.end)).toBe(e.text);
      expect(e.score).toBeGreaterThan(0);
      expect(e.score).toBeLessThanOrEqual(1);
    });
    // After the emoji (two UTF-16 units, one code point) the two units differ by one.
    const peter = byCodePoint.findIndex((e) => e.text === 'Peter Blackburn');
    expect(byUtf16[peter]!.start - byCodePoint[peter]!.start).toBe(1);
    const analysis = await mixed.analyze(text);
    expect(analysis.sentences).toHaveLength(2);
    expect(analysis.spans.flat()).toHaveLength(byCodePoint.length);
  });

  it("maps a word's sub-tokens to it by the first rule: the pipeline's own scores of one-word entities", async () => {
    const [rows] = await transformer.wordProbabilities([words], 'first');
    const [spans] = await transformer.spanSentences([words]);
    const k = transformer.labelSet.byId.length;
    const top = (t: number) => Math.max(...rows!.subarray(t * k, (t + 1) * k));
    expect(spans!.length).toBeGreaterThan(0);
    // An entity's score under `first` is the mean, over its words, of its first sub-token's top probability.
    for (const span of spans!) {
      const mean = Array.from({ length: span.end - span.start }, (_, i) => top(span.start + i)).reduce((a, b) => a + b) / (span.end - span.start);
      expect(span.score).toBeCloseTo(mean, 5);
    }
    for (let t = 0; t < words.length; t++) expect(rows!.subarray(t * k, (t + 1) * k).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  });

  it("scores each entity as the weighted mean of the members' probabilities of that exact span", async () => {
    const [spans] = await mixed.spanSentences([words]);
    const [emissions] = await tagger.emissions([words]);
    const [rows] = await transformer.wordProbabilities([words], 'first');
    const fromTagger = tagger.decoder.spanProbabilities(emissions!, words.length, spans!);
    const fromTransformer = wordSpanProbabilities(rows!, words.length, transformer.labelSet, spans!);
    expect(spans!.length).toBeGreaterThan(0);
    spans!.forEach((span, i) => expect(span.score).toBeCloseTo((1 * fromTagger[i]! + 3 * fromTransformer[i]!) / 4, 9));
    // And its labels are the best valid IOB2 path through the weighted mean of the members' distributions.
    const marginals = tagger.decoder.marginals(emissions!, words.length);
    const mapped = iob2Distributions(rows!, words.length, transformer.labelSet, target);
    const mean = Float32Array.from(marginals, (p, j) => Math.log(Math.max((p + 3 * mapped[j]!) / 4, 1e-12)));
    const zeros = target.map(() => 0);
    const bio = new CrfDecoder(target, target.map(() => zeros), zeros, zeros);
    const expected = Array.from(bio.viterbi(mean, words.length), (y) => target[y]);
    expect(await mixed.labelSentences([words])).toEqual([expected]);
    expect(expected.some((t) => t !== 'O')).toBe(true);
  });

  it("gives the same entities whichever member comes first, though the ensemble's label order is then BERT's", async () => {
    const bertFirst = (await loadModel(ensembleOf([{ dir: bert, weight: 3 }, { dir: smallModel, weight: 1 }]))) as Ensemble;
    try {
      expect(bertFirst.labels).toEqual(transformer.labels);
      expect(await bertFirst.extract(text)).toEqual(await mixed.extract(text));
      expect(await bertFirst.spanSentences([words])).toEqual(await mixed.spanSentences([words]));
    } finally {
      await bertFirst.release();
    }
  });

  it('lets a transformer aggregating sub-tokens vote with its spans', async () => {
    const voting = (await loadModel(ensembleOf([{ dir: smallModel, weight: 1 }, { dir: bert, weight: 3, aggregation: 'simple' }]))) as Ensemble;
    const simple = await TransformerModel.load(bert, { aggregation: 'simple' });
    try {
      const [votes] = await simple.spanSentences([words]);
      const [spans] = await voting.spanSentences([words]);
      const [emissions] = await tagger.emissions([words]);
      // Its one-hot labels carry 3/4 of the mean: the ensemble keeps exactly its spans.
      expect(spans!.map(({ start, end, type }) => [start, end, type])).toEqual(votes!.map(({ start, end, type }) => [start, end, type]));
      const fromTagger = tagger.decoder.spanProbabilities(emissions!, words.length, spans!);
      spans!.forEach((span, i) => expect(span.score).toBeCloseTo((fromTagger[i]! + 3 * votes![i]!.score) / 4, 9));
    } finally {
      await Promise.all([voting.release(), simple.release()]);
    }
  });

  it('refuses, by name, a member that names other entity types', async () => {
    const wnut = join(repoRoot, 'models', 'wnut17');
    await expect(loadModel(ensembleOf([{ dir: bert, weight: 1 }, { dir: wnut, weight: 1 }]))).rejects.toThrow(
      /member wnut17 names the entity types corporation,.*, not LOC,MISC,ORG,PER \(every member must name the same types\)/,
    );
  });

  it('runs in worker threads with the same results, and says its family there too', async () => {
    const threads = await loadModel(ensembleOf([{ dir: smallModel, weight: 1 }, { dir: bert, weight: 3 }]), { workers: 2 });
    try {
      expect(threads.family).toBe('ensemble');
      const sentences = [words, text.split(' '), []];
      expect(await threads.spanSentences(sentences)).toEqual(await mixed.spanSentences(sentences));
    } finally {
      await threads.release();
    }
  });

  describe('behind a gate (a cascade)', () => {
    const sentences = [words, ['He', 'said', 'so', '.'], text.split(' '), ['Reuters', 'said', 'on', 'Tuesday', '.'], [], ['Anna', 'Kowalczyk', 'spoke', '.']];
    const gatedAt = (confidentAbove: number) => loadModel(ensembleOf([{ dir: smallModel, weight: 1 }, { dir: bert, weight: 3, gated: true }], { confidentAbove })) as Promise<Ensemble>;

    it("lets the gated member read only the sentences the others doubt, and takes the others' reading alone for the rest", async () => {
      const gated = await gatedAt(0.9);
      const alone = (await loadModel(ensembleOf([{ dir: smallModel, weight: 1 }]))) as Ensemble;
      try {
        const emissions = await tagger.emissions(sentences);
        const k = target.length;
        const doubted = sentences.map((tokens, s) => {
          const marginals = tagger.decoder.marginals(emissions[s]!, tokens.length);
          return tokens.some((_, t) => Math.max(...marginals.subarray(t * k, (t + 1) * k)) < 0.9);
        });
        expect(doubted).toContain(true);
        expect(doubted).toContain(false);
        const [got, both, one] = await Promise.all([gated.spanSentences(sentences), mixed.spanSentences(sentences), alone.spanSentences(sentences)]);
        sentences.forEach((_, s) => expect(got[s]).toEqual(doubted[s] ? both[s] : one[s]));
        const read = sentences.filter((_, s) => doubted[s]);
        expect(gated.gateCounts).toEqual({
          sentences: sentences.length,
          tokens: sentences.flat().length,
          gatedSentences: read.length,
          gatedTokens: read.flat().length,
        });
      } finally {
        await Promise.all([gated.release(), alone.release()]);
      }
    });

    it('reads every sentence with words at a gate of 1, and none at a gate no probability is under', async () => {
      const always = await gatedAt(1);
      const never = await gatedAt(1e-9);
      const alone = (await loadModel(ensembleOf([{ dir: smallModel, weight: 1 }]))) as Ensemble;
      try {
        expect(await always.labelSentences(sentences)).toEqual(await mixed.labelSentences(sentences));
        expect(always.gateCounts.gatedSentences).toBe(sentences.filter((w) => w.length > 0).length);
        expect(await never.spanSentences(sentences)).toEqual(await alone.spanSentences(sentences));
        expect(never.gateCounts.gatedSentences).toBe(0);
      } finally {
        await Promise.all([always.release(), never.release(), alone.release()]);
      }
    });

    it('refuses a manifest whose gate cannot work, saying why', async () => {
      const refused = (members: Parameters<typeof ensembleOf>[0], gate?: { confidentAbove: number }) => loadModel(ensembleOf(members, gate));
      await expect(refused([{ dir: smallModel, weight: 1 }, { dir: bert, weight: 3, gated: true }])).rejects.toThrow(/members marked "gated" need the manifest's "gate"/);
      await expect(refused([{ dir: bert, weight: 3, gated: true }], { confidentAbove: 0.9 })).rejects.toThrow(/at least one member that is not gated/);
      await expect(refused([{ dir: smallModel, weight: 1 }, { dir: bert, weight: 3, gated: true }], { confidentAbove: 1.5 })).rejects.toThrow(/"confidentAbove" probability in \(0, 1\]/);
    });
  });
});
