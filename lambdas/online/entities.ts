/**
 * POST /v1/entities, free of Lambda: validate the request, run the engine, shape the
 * response as docs/http-api.md and docs/openapi.json say. One text (`text`) answers
 * `{entities, model, offsets}`, as it always has; many (`texts`, as Amazon Comprehend's
 * BatchDetectEntities takes them) answer `{results, model, offsets}`, one result per text
 * in order, each its entities or its own error, so one bad text does not sink the rest.
 */
import { checkOffsets, type Entity, type OffsetUnit } from '../engine/extract.js';
import type { ModelFamily, ModelIdentity, NerModel } from '../engine/model.js';
import { httpFailureOf, USE_BATCH_PATH_HINT, type ErrorBody } from '../http/errors.js';
import { jsonTypeOf, readEntityTypes, type JsonRequestLimits } from '../http/request.js';
import { RequestError } from '../shared/errors.js';

/** Texts in one request at most: Comprehend's BatchDetectEntities limit. */
export const MAX_TEXTS = 25;
/** The languages the API takes: the shipped models are trained on English text. */
export const LANGUAGES = ['en'] as const;

export interface EntitiesFilters {
  readonly offsets: OffsetUnit;
  /** Keep only entities of these types; absent keeps all. */
  readonly types?: readonly string[];
  /** Keep only entities whose score is at least this. */
  readonly minScore: number;
}

/** A text of a batch: readable, or refused on its own (its result is the error). */
export type BatchItem = { readonly text: string } | { readonly refused: RequestError };

export type EntitiesRequest = EntitiesFilters & ({ readonly text: string } | { readonly texts: readonly BatchItem[] });

/** The model that answered, and its family (`bilstm-crf`, `transformer` or `ensemble`). */
export interface AnsweringModel extends ModelIdentity {
  readonly family: ModelFamily;
}

export interface EntitiesResponse {
  readonly entities: Entity[];
  readonly model: AnsweringModel;
  readonly offsets: OffsetUnit;
}

export type BatchResult = { readonly entities: Entity[] } | ErrorBody;

export interface BatchEntitiesResponse {
  readonly results: BatchResult[];
  readonly model: AnsweringModel;
  readonly offsets: OffsetUnit;
}

export interface EntitiesLimits {
  /** Longest text, in code points. */
  readonly maxTextChars: number;
  /** The entity types the model can find (what `types` may name). */
  readonly knownTypes: readonly string[];
}

/**
 * Body limits: one text's body (JSON escapes can take up to 6 bytes per character, and the
 * other fields 1 KB) and a batch's (25 such texts, each with its quotes and comma). A
 * single-text request keeps the one-text limit it has always had.
 */
export function entitiesBodyLimits(maxTextChars: number): { single: JsonRequestLimits; batch: JsonRequestLimits } {
  const perText = maxTextChars * 6;
  return {
    single: { maxBodyBytes: perText + 1024, tooLargeHint: USE_BATCH_PATH_HINT },
    batch: { maxBodyBytes: MAX_TEXTS * (perText + 16) + 1024, tooLargeHint: USE_BATCH_PATH_HINT },
  };
}

/** A short, bounded rendering of what a caller sent for an option, for a message. */
const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) + (value.length > 20 ? '…' : '') : jsonTypeOf(value));

/** `field` holds a string; its length is checked later (checkLength), after the options. */
function checkIsText(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') throw new RequestError('invalid_text', `${field} must be a string, got ${jsonTypeOf(value)}`);
}

function checkLength(text: string, field: string, maxTextChars: number): void {
  // Count code points only as far as needed: a huge text is refused without a full scan.
  let chars = 0;
  for (const _ of text) {
    if (++chars > maxTextChars) {
      throw new RequestError('text_too_long', `${field} is longer than ${maxTextChars} characters, the limit for online requests. ${USE_BATCH_PATH_HINT}`);
    }
  }
}

function checkTexts(texts: unknown): asserts texts is unknown[] {
  if (!Array.isArray(texts)) throw new RequestError('invalid_texts', `"texts" must be an array of strings, got ${jsonTypeOf(texts)}`);
  if (texts.length === 0) throw new RequestError('invalid_texts', '"texts" is an empty array; send from 1 to 25 texts');
  if (texts.length > MAX_TEXTS) throw new RequestError('too_many_texts', `"texts" has ${texts.length} texts; send at most ${MAX_TEXTS} in one request (split them over several)`);
}

function readFilters(body: Record<string, unknown>, knownTypes: readonly string[]): EntitiesFilters {
  const { offsets = 'codepoint', language = 'en', types, minScore = 0 } = body;
  checkOffsets(offsets, (message) => new RequestError('invalid_offsets', `"offsets" ${message}`));
  if (!(LANGUAGES as readonly unknown[]).includes(language)) {
    throw new RequestError('unsupported_language', `"language" must be ${LANGUAGES.map((l) => `"${l}"`).join(', ')} (the only language the API takes), got ${shown(language)}`);
  }
  if (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 1)) {
    throw new RequestError('invalid_min_score', `"minScore" must be a number from 0 to 1, got ${typeof minScore === 'number' ? minScore : jsonTypeOf(minScore)}`);
  }
  return { offsets, minScore, ...(types !== undefined ? { types: readEntityTypes(types, knownTypes) } : {}) };
}

export function readEntitiesRequest(body: Record<string, unknown>, { maxTextChars, knownTypes }: EntitiesLimits): EntitiesRequest {
  const { text, texts } = body;
  if (text !== undefined && texts !== undefined) {
    throw new RequestError('conflicting_fields', 'send either "text" (one text) or "texts" (up to 25), not both');
  }
  if (text === undefined && texts === undefined) {
    throw new RequestError('missing_text', 'the field "text" is required: {"text": "..."}, or "texts" for up to 25 texts: {"texts": ["...", "..."]}');
  }
  if (texts === undefined) {
    // The one-text form checks in the order it always has: the text's type, the options, its length.
    checkIsText(text, '"text"');
    const filters = readFilters(body, knownTypes);
    checkLength(text, '"text"', maxTextChars);
    return { text, ...filters };
  }
  checkTexts(texts);
  const filters = readFilters(body, knownTypes);
  const items = texts.map((item, i): BatchItem => {
    try {
      checkIsText(item, `"texts[${i}]"`);
      checkLength(item, `"texts[${i}]"`, maxTextChars);
      return { text: item };
    } catch (e) {
      return { refused: e as RequestError };
    }
  });
  return { texts: items, ...filters };
}

async function entitiesOf(model: NerModel, text: string, { offsets, types, minScore }: EntitiesFilters): Promise<Entity[]> {
  const entities = await model.extract(text, { offsets });
  if (!types && minScore === 0) return entities;
  return entities.filter((e) => e.score >= minScore && (!types || types.includes(e.type)));
}

export async function extractEntities(model: NerModel, request: EntitiesRequest): Promise<EntitiesResponse | BatchEntitiesResponse> {
  const answering: AnsweringModel = { ...model.model, family: model.family };
  if ('text' in request) return { entities: await entitiesOf(model, request.text, request), model: answering, offsets: request.offsets };
  const results: BatchResult[] = [];
  // One text after another: each is a query-sized call, and the model is one session.
  for (const item of request.texts) {
    results.push('text' in item ? { entities: await entitiesOf(model, item.text, request) } : httpFailureOf(item.refused).body);
  }
  return { results, model: answering, offsets: request.offsets };
}

/** What the log and metrics say about a request: counts and lengths, never the text. */
export function entitiesSummary(request: EntitiesRequest, response: EntitiesResponse | BatchEntitiesResponse) {
  const texts = 'text' in request ? [request.text] : request.texts.flatMap((item) => ('text' in item ? [item.text] : []));
  const entities = 'entities' in response ? response.entities.length : response.results.reduce((n, r) => n + ('entities' in r ? r.entities.length : 0), 0);
  const batch = 'texts' in request ? { texts: request.texts.length, refused: request.texts.length - texts.length } : {};
  return { entities, ...batch, textLength: texts.reduce((n, t) => n + t.length, 0) };
}
