/**
 * POST /v1/search request validation: every problem a caller can make is a 400 (or 413)
 * that names it. The cursor is opaque to callers and signed, so a tampered one is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RequestError } from '../shared/errors.js';

export const MAX_QUERY_CHARS = 500;
export const MAX_LIMIT = 50;
export const DEFAULT_LIMIT = 10;

export interface SearchRequest {
  readonly query: string;
  readonly limit: number;
  readonly offset: number;
  readonly types?: string[];
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 22);
}

/** An opaque cursor: where the next page starts, bound to the query it belongs to. */
export function encodeCursor(offset: number, query: string, secret: string): string {
  const payload = Buffer.from(JSON.stringify({ o: offset, q: sign(query, secret) })).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

function decodeCursor(cursor: unknown, query: string, secret: string): number {
  if (typeof cursor !== 'string' || !/^[\w-]+\.[\w-]{22}$/.test(cursor)) throw new RequestError('invalid_cursor', '"cursor" must be a cursor returned as nextCursor by an earlier search');
  const [payload, mac] = cursor.split('.') as [string, string];
  const expected = sign(payload, secret);
  if (!timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) throw new RequestError('invalid_cursor', '"cursor" has been altered or comes from another deployment');
  const { o, q } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { o: number; q: string };
  if (q !== sign(query, secret)) throw new RequestError('invalid_cursor', '"cursor" belongs to a different query');
  return o;
}

export function readSearchRequest(body: Record<string, unknown>, { knownTypes, cursorSecret }: { knownTypes: readonly string[]; cursorSecret: string }): SearchRequest {
  const { query, limit = DEFAULT_LIMIT, cursor, types } = body;
  if (query === undefined) throw new RequestError('missing_query', 'the field "query" is required: {"query": "..."}');
  if (typeof query !== 'string') throw new RequestError('invalid_query', `"query" must be a string, got ${query === null ? 'null' : Array.isArray(query) ? 'an array' : typeof query}`);
  if (query.trim() === '') throw new RequestError('empty_query', '"query" is empty or only white space');
  if (Array.from(query).length > MAX_QUERY_CHARS) throw new RequestError('query_too_long', `"query" is longer than ${MAX_QUERY_CHARS} characters, the limit for a search`);
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RequestError('invalid_limit', `"limit" must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`);
  }
  let typeFilter: string[] | undefined;
  if (types !== undefined) {
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) throw new RequestError('invalid_types', '"types" must be a non-empty array of entity types');
    const unknown = types.filter((t) => !knownTypes.includes(t));
    if (unknown.length > 0) throw new RequestError('invalid_types', `unknown entity type${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => `"${t}"`).join(', ')}; known types are ${knownTypes.join(', ')}`);
    typeFilter = [...new Set(types as string[])];
  }
  const offset = cursor === undefined ? 0 : decodeCursor(cursor, query, cursorSecret);
  return { query, limit, offset, types: typeFilter };
}
