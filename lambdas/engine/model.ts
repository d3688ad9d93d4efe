/**
 * The engine's one surface. Every model (a tagger, an ensemble, a model in worker
 * threads, a coalescing wrapper) is a `NerModel`; what they share (their identity, their
 * labels, free text to entities, tags from spans) is written once, in `SentenceModel`,
 * and each kind adds only how it scores pre-tokenized sentences.
 */
import { spansToTags } from './tags.js';
import { checkOffsets, checkText, entitiesOf, sentenceGroups, type Analysis, type Entity, type ExtractOptions, type ScoredSpan } from './extract.js';

export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
}

export type Sentences = readonly (readonly string[])[];

/** The kind of model: Nerve's BiLSTM-CRF taggers, a Hugging Face transformer, or an ensemble of either or both. */
export const MODEL_FAMILIES = ['bilstm-crf', 'transformer', 'ensemble'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

export interface NerModel {
  readonly model: ModelIdentity;
  readonly family: ModelFamily;
  readonly labels: readonly string[];
  /** IOB2 labels for pre-tokenized sentences. */
  labelSentences(batch: Sentences): Promise<string[][]>;
  /** Entity spans with probabilities for pre-tokenized sentences. */
  spanSentences(batch: Sentences): Promise<ScoredSpan[][]>;
  /** A text's tokens, sentences and spans (what search reads, without tokenizing again). */
  analyze(text: unknown): Promise<Analysis>;
  /** Entities in free text. */
  extract(text: unknown, options?: ExtractOptions): Promise<Entity[]>;
  release(): Promise<void>;
}

export abstract class SentenceModel implements NerModel {
  /**
   * @param tokensPerCall tokens of free text sent to `spanSentences` at a time, so that a
   *   long text is never held as tensors whole.
   */
  protected constructor(
    readonly model: ModelIdentity,
    readonly labels: readonly string[],
    private readonly tokensPerCall: number,
  ) {}

  abstract readonly family: ModelFamily;
  abstract spanSentences(batch: Sentences): Promise<ScoredSpan[][]>;
  abstract release(): Promise<void>;

  /** Tags of the spans; a model that can decode labels alone, without span scores, overrides it. */
  async labelSentences(batch: Sentences): Promise<string[][]> {
    const spans = await this.spanSentences(batch);
    return batch.map((tokens, s) => spansToTags(tokens.length, spans[s]!));
  }

  async analyze(text: unknown): Promise<Analysis> {
    checkText(text);
    const sentences: Analysis['sentences'][number][] = [];
    const spans: Analysis['spans'][number][] = [];
    for await (const group of this.groups(text)) {
      sentences.push(...group.sentences);
      spans.push(...group.spans);
    }
    return { sentences, spans };
  }

  async extract(text: unknown, { offsets = 'codepoint' }: ExtractOptions = {}): Promise<Entity[]> {
    checkText(text);
    checkOffsets(offsets);
    const entities: Entity[] = [];
    for await (const group of this.groups(text)) entities.push(...entitiesOf(text, group, offsets));
    return entities;
  }

  private async *groups(text: string): AsyncGenerator<Analysis> {
    for (const sentences of sentenceGroups(text, this.tokensPerCall)) {
      yield { sentences, spans: await this.spanSentences(sentences.map((s) => s.map((t) => t.text))) };
    }
  }
}
