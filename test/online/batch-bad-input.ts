/**
 * The bad-input table of POST /v1/entities' additions (`texts`, `types`, `minScore`,
 * `language`): requests refused whole, each with its status, code and a message that
 * names the field. Run against the handler (batch.test.ts) and over HTTP (test/contract).
 */
import { MAX_TEXTS } from '../../lambdas/online/entities.js';
import type { BadInputCase } from '../helpers/bad-input.js';

export function entitiesBatchBadInput(): BadInputCase[] {
  const body = (value: unknown) => JSON.stringify(value);
  return [
    { name: 'text and texts together', body: body({ text: 'a', texts: ['b'] }), status: 400, code: 'conflicting_fields', message: /either "text" .* or "texts"/ },
    { name: 'neither text nor texts', body: body({ offsets: 'utf16' }), status: 400, code: 'missing_text', message: /"text" is required.*"texts"/ },
    { name: 'texts an empty list', body: body({ texts: [] }), status: 400, code: 'invalid_texts', message: /"texts" is an empty array/ },
    { name: 'texts a string', body: body({ texts: 'Anna' }), status: 400, code: 'invalid_texts', message: /"texts" must be an array of strings, got string/ },
    { name: 'texts null', body: body({ texts: null }), status: 400, code: 'invalid_texts', message: /got null/ },
    { name: 'more than 25 texts', body: body({ texts: Array.from({ length: MAX_TEXTS + 1 }, () => 'Anna') }), status: 400, code: 'too_many_texts', message: /"texts" has 26 texts; send at most 25/ },
    { name: 'types an empty list', body: body({ text: 'a', types: [] }), status: 400, code: 'invalid_types', message: /"types" must be a non-empty array.*got an empty array/ },
    { name: 'types a string', body: body({ texts: ['a'], types: 'PER' }), status: 400, code: 'invalid_types', message: /"types" must be .*got string/ },
    { name: 'types with a number', body: body({ text: 'a', types: ['PER', 1] }), status: 400, code: 'invalid_types', message: /"types" must be .*non-string/ },
    { name: 'an unknown type', body: body({ texts: ['a'], types: ['PER', 'PLANET'] }), status: 400, code: 'invalid_types', message: /"types" has unknown entity type "PLANET"; known types are LOC, MISC, ORG, PER/ },
    { name: 'minScore above 1', body: body({ text: 'a', minScore: 1.5 }), status: 400, code: 'invalid_min_score', message: /"minScore" must be a number from 0 to 1, got 1.5/ },
    { name: 'minScore negative', body: body({ texts: ['a'], minScore: -0.1 }), status: 400, code: 'invalid_min_score', message: /got -0.1/ },
    { name: 'minScore a string', body: body({ text: 'a', minScore: '0.5' }), status: 400, code: 'invalid_min_score', message: /got string/ },
    { name: 'minScore null', body: body({ text: 'a', minScore: null }), status: 400, code: 'invalid_min_score', message: /got null/ },
    { name: 'language de', body: body({ text: 'a', language: 'de' }), status: 400, code: 'unsupported_language', message: /"language" must be "en" .*got "de"/ },
    { name: 'language a number', body: body({ texts: ['a'], language: 5 }), status: 400, code: 'unsupported_language', message: /"language" must be "en".*got number/ },
    { name: 'language en-US', body: body({ text: 'a', language: 'en-US' }), status: 400, code: 'unsupported_language', message: /got "en-US"/ },
    { name: 'unknown offsets with texts', body: body({ texts: ['a'], offsets: 'bytes' }), status: 400, code: 'invalid_offsets', message: /"offsets" must be one of "codepoint", "utf16"/ },
  ];
}
