/**
 * The label views bench:peers scores its rows in; tools/conlleval.ts does the scoring.
 *
 * en_core_web_sm predicts OntoNotes 5's 18 types; CoNLL-2003 has four. The mapping follows
 * CoNLL-2003's annotation guidelines (which extend MUC-7's):
 * - PERSON → PER.
 * - ORG → ORG.
 * - GPE, LOC, FAC → LOC: CoNLL's locations are countries, cities and states (OntoNotes'
 *   GPE), regions and natural places (LOC), and also roads, structures and public or
 *   commercial buildings (OntoNotes' FAC).
 * - NORP, EVENT, WORK_OF_ART, LAW, LANGUAGE, PRODUCT → MISC: CoNLL's MISC holds
 *   nationalities and religious or political adjectives and nouns ("German", "Muslim"),
 *   named events, titles of works, documents and laws, languages and products.
 * - DATE, TIME, PERCENT, MONEY, QUANTITY, ORDINAL, CARDINAL → O: CoNLL marks no numeric
 *   or temporal expressions, so each such prediction would only be a false positive.
 * Types are mapped tag by tag (B-GPE → B-LOC), so two adjacent entities stay two.
 */
import { mapTypes } from '../../tools/conll.js';

export const ONTONOTES_TO_CONLL = {
  PERSON: 'PER',
  ORG: 'ORG',
  GPE: 'LOC',
  LOC: 'LOC',
  FAC: 'LOC',
  NORP: 'MISC',
  EVENT: 'MISC',
  WORK_OF_ART: 'MISC',
  LAW: 'MISC',
  LANGUAGE: 'MISC',
  PRODUCT: 'MISC',
  DATE: null,
  TIME: null,
  PERCENT: null,
  MONEY: null,
  QUANTITY: null,
  ORDINAL: null,
  CARDINAL: null,
} as const satisfies Record<string, string | null>;

export type OntoNotesType = keyof typeof ONTONOTES_TO_CONLL;

/** IOB tags with OntoNotes types as CoNLL tags; a type outside the table is an error naming it. */
export const ontoNotesToConll = (tags: readonly string[]) => mapTypes(tags, ONTONOTES_TO_CONLL, 'OntoNotes');
