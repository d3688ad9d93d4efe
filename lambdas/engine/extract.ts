/**
 * Free text in, entities out, for any model that scores spans in pre-tokenized
 * sentences: tokenize, split sentences, group them so memory stays bounded, and map
 * token spans back to offsets in the unit the caller asked for.
 */
import type { Span } from './crf.js';
import { InvalidInputError, type NerveError } from '../shared/errors.js';
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

/** A text's sentences as tokens (with offsets), and the spans the model found in each. */
export interface Analysis {
  readonly sentences: readonly (readonly Token[])[];
  readonly spans: readonly (readonly ScoredSpan[])[];
}

/** `offsets` is one of OFFSET_UNITS; `error` says how a caller is told otherwise. */
export function checkOffsets(
  offsets: unknown,
  error: (message: string) => NerveError = (message) => new InvalidInputError(`offsets ${message}`),
): asserts offsets is OffsetUnit {
  if (!(OFFSET_UNITS as readonly unknown[]).includes(offsets)) {
    throw error(`must be one of ${OFFSET_UNITS.map((u) => `"${u}"`).join(', ')}, got ${JSON.stringify(offsets)}`);
  }
}

export function checkText(text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new InvalidInputError(`text must be a string, got ${text === null ? 'null' : typeof text}`);
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

/** Every span of an analysis as an entity of `text`. */
export function entitiesOf(text: string, analysis: Analysis, offsets: OffsetUnit = 'codepoint'): Entity[] {
  return analysis.sentences.flatMap((tokens, s) => analysis.spans[s]!.map((span) => entityOf(text, tokens, span, offsets)));
}
