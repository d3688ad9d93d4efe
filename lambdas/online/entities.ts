/**
 * POST /v1/entities, free of Lambda: validate the request, run the engine, shape the
 * response exactly as DESIGN.md's contract says.
 */
import { OFFSET_UNITS, type Entity, type NerModel, type OffsetUnit } from '../engine/extract.js';
import { badRequest, HttpError } from '../http/errors.js';

export interface EntitiesRequest {
  readonly text: string;
  readonly offsets: OffsetUnit;
}

export interface EntitiesResponse {
  readonly entities: Entity[];
  readonly model: { name: string; version: string };
  readonly offsets: OffsetUnit;
}

export function readEntitiesRequest(body: Record<string, unknown>, maxTextChars: number): EntitiesRequest {
  const { text, offsets = 'codepoint' } = body;
  if (text === undefined) throw badRequest('missing_text', 'the field "text" is required: {"text": "..."}');
  if (typeof text !== 'string') throw badRequest('invalid_text', `"text" must be a string, got ${text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text}`);
  if (typeof offsets !== 'string' || !(OFFSET_UNITS as readonly string[]).includes(offsets)) {
    throw badRequest('invalid_offsets', `"offsets" must be one of ${OFFSET_UNITS.map((u) => `"${u}"`).join(', ')}, got ${JSON.stringify(offsets)}`);
  }
  // Count code points only as far as needed: a huge text is refused without a full scan.
  let chars = 0;
  for (const _ of text) {
    if (++chars > maxTextChars) {
      throw new HttpError(
        413,
        'text_too_long',
        `"text" is longer than ${maxTextChars} characters, the limit for online requests. ` +
          'For long documents use the batch path: drop the file into the documents bucket (or run `nerve ingest FILE`).',
      );
    }
  }
  return { text, offsets: offsets as OffsetUnit };
}

export async function extractEntities(tagger: NerModel, request: EntitiesRequest): Promise<EntitiesResponse> {
  const entities = await tagger.extract(request.text, { offsets: request.offsets });
  return { entities, model: tagger.model, offsets: request.offsets };
}
