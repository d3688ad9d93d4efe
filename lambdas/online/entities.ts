/**
 * POST /v1/entities, free of Lambda: validate the request, run the engine, shape the
 * response exactly as DESIGN.md's contract says.
 */
import { checkOffsets, type Entity, type OffsetUnit } from '../engine/extract.js';
import type { NerModel } from '../engine/model.js';
import { USE_BATCH_PATH_HINT } from '../http/errors.js';
import { RequestError } from '../shared/errors.js';

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
  if (text === undefined) throw new RequestError('missing_text', 'the field "text" is required: {"text": "..."}');
  if (typeof text !== 'string') throw new RequestError('invalid_text', `"text" must be a string, got ${text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text}`);
  checkOffsets(offsets, (message) => new RequestError('invalid_offsets', `"offsets" ${message}`));
  // Count code points only as far as needed: a huge text is refused without a full scan.
  let chars = 0;
  for (const _ of text) {
    if (++chars > maxTextChars) {
      throw new RequestError('text_too_long', `"text" is longer than ${maxTextChars} characters, the limit for online requests. ${USE_BATCH_PATH_HINT}`);
    }
  }
  return { text, offsets };
}

export async function extractEntities(model: NerModel, request: EntitiesRequest): Promise<EntitiesResponse> {
  const entities = await model.extract(request.text, { offsets: request.offsets });
  return { entities, model: model.model, offsets: request.offsets };
}
