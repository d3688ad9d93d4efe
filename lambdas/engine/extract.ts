/**
 * Free text → entities, for any model that can score spans in pre-tokenized sentences
 * (one tagger or an ensemble): tokenize, split sentences, batch them so memory stays
 * bounded, and map token spans back to offsets in the unit the caller asked for.
 */
import type { Span } from './crf.js';
import { InvalidInputError } from './errors.js';
import { sentences } from './sentences.js';
import { tokenize, type Token } from './tokenize.js';

export const OFFSET_UNITS = ['codepoint', 'utf16'] as const;
export type OffsetUnit = (typeof OFFSET_UNITS)[number];

export interface Entity {
  readonly text: string;
  readonly type: string;
  /** Offsets into the input text, in the unit the caller asked for. */
  readonly start: number;
  readonly end: number;
  /** Probability that exactly this span, with this type, is an entity (see crf.ts). */
  readonly score: number;
}

export interface ExtractOptions {
  /** @default 'codepoint' */
  readonly offsets?: OffsetUnit;
}

export type ScoredSpan = Span & { readonly score: number };

/** What every NER model in Nerve offers: a single tagger and an ensemble alike. */
export interface NerModel {
  readonly model: { name: string; version: string };
  readonly labels: readonly string[];
  /** IOB2 labels for pre-tokenized sentences. */
  labelSentences(batch: readonly (readonly string[])[]): Promise<string[][]>;
  /** Entity spans with probabilities for pre-tokenized sentences. */
  spanSentences(batch: readonly (readonly string[])[]): Promise<ScoredSpan[][]>;
  /** Entities in free text. */
  extract(text: unknown, options?: ExtractOptions): Promise<Entity[]>;
  release(): Promise<void>;
}

export function checkExtractInput(text: unknown, offsets: unknown): asserts text is string {
  if (typeof text !== 'string') throw new InvalidInputError(`text must be a string, got ${text === null ? 'null' : typeof text}`);
  if (!(OFFSET_UNITS as readonly unknown[]).includes(offsets)) {
    throw new InvalidInputError(`offsets must be one of ${OFFSET_UNITS.map((u) => `"${u}"`).join(', ')}, got ${JSON.stringify(offsets)}`);
  }
}

/** Sentences of a text in groups of about `tokensPerGroup` tokens. */
export function* sentenceGroups(text: string, tokensPerGroup: number): Generator<Token[][]> {
  let group: Token[][] = [];
  let tokens = 0;
  for (const sentence of sentences(tokenize(text))) {
    group.push(sentence);
    tokens += sentence.length;
    if (tokens >= tokensPerGroup) {
      yield group;
      group = [];
      tokens = 0;
    }
  }
  if (group.length > 0) yield group;
}

/** A span over a sentence's tokens as an entity with offsets into `text`. */
export function entityOf(text: string, tokens: readonly Token[], span: ScoredSpan, offsets: OffsetUnit): Entity {
  const first = tokens[span.start]!;
  const last = tokens[span.end - 1]!;
  return {
    text: text.slice(first.start, last.end),
    type: span.type,
    start: offsets === 'utf16' ? first.start : first.cpStart,
    end: offsets === 'utf16' ? last.end : last.cpEnd,
    score: span.score,
  };
}

export async function extractFromText(
  spanSentences: NerModel['spanSentences'],
  text: unknown,
  { offsets = 'codepoint' }: ExtractOptions,
  tokensPerGroup: number,
): Promise<Entity[]> {
  checkExtractInput(text, offsets);
  const entities: Entity[] = [];
  for (const group of sentenceGroups(text, tokensPerGroup)) {
    const spans = await spanSentences(group.map((s) => s.map((t) => t.text)));
    group.forEach((tokens, i) => {
      for (const span of spans[i]!) entities.push(entityOf(text, tokens, span, offsets));
    });
  }
  return entities;
}
