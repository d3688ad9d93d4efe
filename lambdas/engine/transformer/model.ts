/**
 * The transformer family behind the engine's one surface (model.ts): a Hugging Face
 * token-classification model exported to ONNX, with its tokenizer.json. Free text goes
 * through it as transformers' pipeline would take it, so entities, offsets and scores
 * equal the pipeline's (test/engine/transformer-conformance.test.ts):
 *
 * text → pieces of whole sentences (memory stays bounded) → windows of the model's length
 * with a stride (tokenizer.ts) → batches by length (batching.ts) → probabilities
 * (logits.ts) → entities per window (aggregate.ts) → overlaps between windows resolved.
 *
 * Pre-tokenized sentences (CoNLL evaluation) are joined with spaces and read the same
 * way; an entity then covers every word it touches.
 */
import { planBatches } from '../batching.js';
import { modelOptions, tokensPerCall, type ModelOptions } from '../defaults.js';
import { checkOffsets, checkText, sentenceGroups, type Analysis, type Entity, type ExtractOptions, type ScoredSpan } from '../extract.js';
import { resolveModelDir } from '../manifest.js';
import { SentenceModel, type ModelFamily, type Sentences } from '../model.js';
import { cudaProviderInstalled } from '../session.js';
import type { Token } from '../tokenize.js';
import { ConfigError, ModelInvalidError } from '../../shared/errors.js';
import { AGGREGATIONS, aggregate, resolveOverlaps, type Aggregation, type ScoredToken, type SpanEntity, type WordStrategy } from './aggregate.js';
import { CodePoints, codePointLength } from './codepoints.js';
import { readTransformerFolder, TRANSFORMER_FAMILY, type TransformerFolder } from './folder.js';
import type { LabelSet } from './labels.js';
import { LogitsSession } from './logits.js';
import { WindowTokenizer, type TokenWindow } from './tokenizer.js';
import { wordDistributions } from './words.js';

export interface TransformerOptions {
  /**
   * How sub-tokens become entities (aggregate.ts). `first` by default, because the usual
   * fine-tuning recipe (transformers' run_ner) trains the label of a word's first sub-token
   * only, so the others' predictions are untrained. @default the manifest's, else 'first'
   */
  readonly aggregation?: Aggregation;
  /**
   * Tokens each window repeats from the one before (the pipeline's `stride`): an entity
   * shorter than this is seen whole in some window. @default the manifest's, else a quarter of the window
   */
  readonly stride?: number;
  /**
   * The ONNX file of an export folder to run, relative to it: `model_quantized.onnx` for
   * its int8 copy. An imported folder's manifest names its own. @default model.onnx, else onnx/model.onnx
   */
  readonly onnxFile?: string;
}

export const DEFAULT_AGGREGATION: Aggregation = 'first';

/** An entity with offsets in both units, relative to the text it was found in. */
interface Found extends SpanEntity {
  readonly start16: number;
  readonly end16: number;
}

/** Part of a text: whole sentences, read as one input. */
interface Piece {
  readonly text: string;
  readonly start16: number;
  readonly start: number;
  readonly sentences: readonly (readonly Token[])[];
}

/** A text's windows and each window's probabilities (tokens x the model's labels). */
interface ScoredWindows {
  readonly windows: readonly TokenWindow[];
  readonly probs: readonly Float32Array[];
}

export class TransformerModel extends SentenceModel {
  readonly family: ModelFamily = TRANSFORMER_FAMILY;

  private constructor(
    readonly folder: TransformerFolder,
    private readonly tokenizer: WindowTokenizer,
    private readonly session: LogitsSession,
    /** The model's own labels (config.json's id2label), as its probabilities are laid out. */
    readonly labelSet: LabelSet,
    readonly aggregation: Aggregation,
    readonly stride: number,
    private readonly options: Required<ModelOptions>,
  ) {
    super({ name: folder.name, version: folder.version }, labelSet.iob2, tokensPerCall(options));
  }

  /** Load a transformer by name or folder (an Optimum export or an imported Nerve folder). Do it once per process. */
  static async load(ref: string, given: ModelOptions & TransformerOptions = {}): Promise<TransformerModel> {
    const options = modelOptions(given);
    if (!Number.isInteger(options.batchWindows) || options.batchWindows < 1) throw new ConfigError(`batchWindows must be a positive integer, got ${options.batchWindows}`);
    const folder = readTransformerFolder(resolveModelDir(ref), { verifyChecksum: options.verifyChecksum, onnxFile: given.onnxFile });
    const aggregation = given.aggregation ?? folder.aggregation ?? DEFAULT_AGGREGATION;
    if (!(AGGREGATIONS as readonly string[]).includes(aggregation)) {
      throw new ConfigError(`aggregation must be one of ${AGGREGATIONS.join(', ')}, got ${JSON.stringify(aggregation)}`);
    }
    const stride = given.stride ?? folder.stride ?? Math.floor(folder.maxLength / 4);
    const tokenizer = await WindowTokenizer.load(folder.tokenizerJson, { file: folder.tokenizerPath, maxLength: folder.maxLength, stride, unkToken: folder.unkToken });
    if (folder.vocabSize !== undefined && tokenizer.vocabularySize > folder.vocabSize) {
      throw new ModelInvalidError(
        `${folder.tokenizerPath} has ${tokenizer.vocabularySize} tokens but config.json's vocab_size is ${folder.vocabSize}: it is not this model's tokenizer`,
        { file: folder.tokenizerPath },
      );
    }
    const padId = folder.padId ?? (folder.padToken !== undefined ? tokenizer.idOf(folder.padToken) : undefined) ?? 0;
    // The GPU where onnxruntime-node has its CUDA provider, unless the caller chose.
    const executionProviders = given.executionProviders ?? (cudaProviderInstalled() ? ['cuda', 'cpu'] : ['cpu']);
    const [probe] = await tokenizer.windows('Nerve');
    const session = await LogitsSession.create(folder.onnxPath, { ...options, executionProviders }, folder.labels.byId.length, padId, probe!);
    return new TransformerModel(folder, tokenizer, session, folder.labels, aggregation, stride, options);
  }

  /** The execution provider the session runs on. */
  get provider(): string {
    return this.session.provider;
  }

  /** The ONNX inputs fed to the model. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  async spanSentences(batch: Sentences): Promise<ScoredSpan[][]> {
    const texts = batch.map((words) => words.join(' '));
    const found = await this.entitiesIn(texts);
    return batch.map((words, s) => {
      const tokens: { start: number; end: number }[] = [];
      for (const w of words) {
        const start = tokens.length === 0 ? 0 : tokens[tokens.length - 1]!.end + 1; // one space between words
        tokens.push({ start, end: start + w.length });
      }
      return tokenSpans(found[s]!, [tokens])[0]!;
    });
  }

  override async extract(text: unknown, { offsets = 'codepoint' }: ExtractOptions = {}): Promise<Entity[]> {
    checkText(text);
    checkOffsets(offsets);
    const entities: Entity[] = [];
    for (const piece of this.pieces(text)) {
      const [found] = await this.entitiesIn([piece.text]);
      for (const e of found!) {
        const start16 = piece.start16 + e.start16;
        const end16 = piece.start16 + e.end16;
        const utf16 = offsets === 'utf16';
        entities.push({ text: text.slice(start16, end16), type: e.type, start: utf16 ? start16 : piece.start + e.start, end: utf16 ? end16 : piece.start + e.end, score: e.score });
      }
    }
    return entities;
  }

  /**
   * Each word's distribution over the model's own labels (`labelSet`), words x labels per
   * sentence, from its sub-tokens by `strategy` (words.ts): the words joined by spaces
   * and read as `spanSentences` reads them. What an ensemble averages.
   */
  async wordProbabilities(batch: Sentences, strategy: WordStrategy): Promise<Float32Array[]> {
    const scored = await this.scoredWindows(batch.map((words) => words.join(' ')));
    return batch.map((words, s) => wordDistributions(words, scored[s]!.windows, scored[s]!.probs, this.labelSet, strategy));
  }

  /** Nerve's tokens and sentences of the text, each entity as the span of the tokens it touches. */
  override async analyze(text: unknown): Promise<Analysis> {
    checkText(text);
    const sentences: Analysis['sentences'][number][] = [];
    const spans: Analysis['spans'][number][] = [];
    for (const piece of this.pieces(text)) {
      const [found] = await this.entitiesIn([piece.text]);
      const shifted = found!.map((e) => ({ ...e, start16: piece.start16 + e.start16, end16: piece.start16 + e.end16 }));
      sentences.push(...piece.sentences);
      spans.push(...tokenSpans(shifted, piece.sentences));
    }
    return { sentences, spans };
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  /**
   * A text in pieces of whole sentences, about `tokensPerCall` of Nerve's tokens each,
   * that cover it end to end: a text that fits in one piece is read whole, exactly as the
   * pipeline reads it, and a longer one never needs more than a piece's tensors at once.
   */
  private *pieces(text: string): Generator<Piece> {
    let start16 = 0;
    let start = 0;
    let held: Token[][] | undefined;
    const piece = (sentences: Token[][], end16: number, end: number): Piece => {
      const p = { text: text.slice(start16, end16), start16, start, sentences };
      start16 = end16;
      start = end;
      return p;
    };
    for (const group of sentenceGroups(text, tokensPerCall(this.options))) {
      if (held) {
        const last = held[held.length - 1]!.at(-1)!;
        yield piece(held, last.end, last.cpEnd);
      }
      held = group;
    }
    if (held) yield piece(held, text.length, start + codePointLength(text.slice(start16)));
  }

  /** Every window of every text with its probabilities, batched by length across texts. */
  private async scoredWindows(texts: readonly string[]): Promise<ScoredWindows[]> {
    const windows: TokenWindow[][] = [];
    for (const text of texts) windows.push(text.trim() === '' ? [] : await this.tokenizer.windows(text));
    const jobs = windows.flat();
    const probs: Float32Array[] = [];
    for (const planned of planBatches(jobs.map((w) => w.ids.length), this.options.batchWindows)) {
      const out = await this.session.probabilities(planned.map((i) => jobs[i]!));
      planned.forEach((i, b) => (probs[i] = out[b]!));
    }
    let job = 0;
    return windows.map((ws) => ({ windows: ws, probs: ws.map(() => probs[job++]!) }));
  }

  /** Entities of each text. */
  private async entitiesIn(texts: readonly string[]): Promise<Found[][]> {
    const scored = await this.scoredWindows(texts);
    return texts.map((text, t) => {
      const index = new CodePoints(text);
      const { windows, probs } = scored[t]!;
      const found = windows.flatMap((w, i) => aggregate(this.scoredTokens(w, probs[i]!, index), this.aggregation, this.labelSet));
      const kept = windows.length > 1 ? resolveOverlaps(found) : found;
      // The one departure from the pipeline: an entity of no characters (a byte-level BPE
      // space token whose offsets the tokenizer trimmed to nothing) names nothing, so it goes.
      return kept.filter((e) => e.end > e.start).map((e) => ({ ...e, start16: index.toUtf16(e.start), end16: index.toUtf16(e.end) }));
    });
  }

  /**
   * A window's tokens with their probabilities, special tokens left out. Whether a token
   * continues the word before it is decided as the pipeline does: from the vocabulary
   * where the tokenizer marks word pieces (`##ing` is longer than the text it covers);
   * otherwise (byte-level BPE, Unigram) by the pipeline's own heuristic, no space just
   * before or at its start. An unknown token always starts a word.
   */
  private scoredTokens(w: TokenWindow, probs: Float32Array, text: CodePoints): ScoredToken[] {
    const k = this.labelSet.byId.length;
    const prefix = this.tokenizer.continuingSubwordPrefix;
    const out: ScoredToken[] = [];
    for (let i = 0; i < w.ids.length; i++) {
      if (w.special[i]) continue;
      const [start, end] = w.offsets[i] as [number, number];
      const isSubword =
        w.ids[i] !== this.tokenizer.unkId &&
        (prefix !== undefined ? codePointLength(w.tokens[i]!) !== end - start : start > 0 && text.at(start - 1) !== ' ' && text.at(start) !== ' ');
      out.push({ probs: probs.subarray(i * k, (i + 1) * k), start, end, isSubword });
    }
    return out;
  }
}

/**
 * Entities (UTF-16 offsets, in order) as spans over the tokens of sentences: each covers
 * the tokens it touches, in the sentence of the first; of two that would cover a token
 * twice, the more probable stays.
 */
function tokenSpans(entities: readonly Found[], sentences: readonly (readonly { start: number; end: number }[])[]): ScoredSpan[][] {
  const out: ScoredSpan[][] = sentences.map(() => []);
  let s = 0;
  let t = 0;
  for (const e of entities) {
    // Move to the first token that ends after the entity starts.
    while (s < sentences.length && (t >= sentences[s]!.length || sentences[s]![t]!.end <= e.start16)) {
      if (t >= sentences[s]!.length) {
        s++;
        t = 0;
      } else t++;
    }
    if (s >= sentences.length) break;
    const tokens = sentences[s]!;
    if (tokens[t]!.start >= e.end16) continue; // the entity lies between tokens (only spaces)
    let end = t + 1;
    while (end < tokens.length && tokens[end]!.start < e.end16) end++;
    const spans = out[s]!;
    const last = spans.at(-1);
    const span = { start: t, end, type: e.type, score: e.score };
    if (last && last.end > t) {
      if (span.score > last.score) spans[spans.length - 1] = span;
    } else spans.push(span);
  }
  return out;
}
