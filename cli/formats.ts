/**
 * `nerve extract --format`: the entities in the shapes other tools read, so that output
 * can be pasted into them as is. Each shape counts offsets in code points, as the Python
 * tools (and Amazon Comprehend) that read it do.
 *
 *   nerve       the API's response: {entities: [{text, type, start, end, score}], model, offsets}
 *   comprehend  Amazon Comprehend's DetectEntities response: {Entities: [{Score, Type, Text, BeginOffset, EndOffset}]}
 *   hf          the Hugging Face token-classification pipeline (aggregation_strategy="simple"):
 *               [{entity_group, score, word, start, end}]
 *   displacy    spaCy displaCy's manual format: {text, ents: [{start, end, label}], title: null}
 */
import type { Entity, OffsetUnit } from '../lambdas/engine/extract.js';
import type { ModelIdentity } from '../lambdas/engine/model.js';

export const FORMATS = ['nerve', 'comprehend', 'hf', 'displacy'] as const;
export type Format = (typeof FORMATS)[number];

/** What one text's entities become in a format. */
export interface Extraction {
  readonly text: string;
  readonly entities: readonly Entity[];
  readonly model: ModelIdentity;
  readonly offsets: OffsetUnit;
}

/** Comprehend's own entity types; the CoNLL types map onto them, and a type Comprehend lacks is OTHER. */
const COMPREHEND_TYPES = new Set(['PERSON', 'LOCATION', 'ORGANIZATION', 'COMMERCIAL_ITEM', 'EVENT', 'DATE', 'QUANTITY', 'TITLE', 'OTHER']);
const CONLL_TO_COMPREHEND: Record<string, string> = { PER: 'PERSON', LOC: 'LOCATION', ORG: 'ORGANIZATION', MISC: 'OTHER' };

export function comprehendType(type: string): string {
  const upper = type.toUpperCase();
  return CONLL_TO_COMPREHEND[upper] ?? (COMPREHEND_TYPES.has(upper) ? upper : 'OTHER');
}

export function formatExtraction(format: Format, x: Extraction): unknown {
  switch (format) {
    case 'nerve':
      return { entities: x.entities, model: x.model, offsets: x.offsets };
    case 'comprehend':
      return { Entities: x.entities.map((e) => ({ Score: e.score, Type: comprehendType(e.type), Text: e.text, BeginOffset: e.start, EndOffset: e.end })) };
    case 'hf':
      return x.entities.map((e) => ({ entity_group: e.type, score: e.score, word: e.text, start: e.start, end: e.end }));
    case 'displacy':
      return { text: x.text, ents: x.entities.map((e) => ({ start: e.start, end: e.end, label: e.type })), title: null };
  }
}
