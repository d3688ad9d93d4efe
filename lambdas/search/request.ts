/**
 * POST /v1/search request validation: every problem a caller can make is a 400 (or 413)
 * that names it. The cursor is opaque to callers and signed with the deployment's secret,
 * so a tampered one is refused; it expires, and it is bound to the query, `limit` and
 * `types` of the search that returned it (another page size would skip or repeat results).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ENV } from '../shared/env.js';
import { ConfigError, RequestError } from '../shared/errors.js';
import { jsonTypeOf, readEntityTypes } from '../http/request.js';
import { filtersKey, readFilters, type SearchFilters } from './filters.js';

export const MAX_QUERY_CHARS = 500;
export const MAX_LIMIT = 50;
export const DEFAULT_LIMIT = 10;
/** How long a nextCursor stays valid: a page is read right after the one before it. */
export const CURSOR_TTL_SECONDS = 3600;

export interface SearchRequest {
  readonly query: string;
  readonly limit: number;
  readonly offset: number;
  readonly types?: string[];
  /** Normalized names by type: only documents holding, for each type, one of them (filters.ts). */
  readonly filters?: SearchFilters;
  /** Whether to count the matching documents' most frequent entities by type. */
  readonly facets: boolean;
}

/** What a cursor is bound to: the search that returned it (a SearchRequest is one). */
export type CursorScope = Pick<SearchRequest, 'query' | 'limit' | 'types' | 'filters'>;

/** The signed payload: offset, issue time (epoch seconds), the query's MAC, limit, types (sorted; null for all), the filters' MAC (absent without filters). */
interface CursorPayload {
  readonly o: number;
  readonly t: number;
  readonly q: string;
  readonly l: number;
  readonly y: string[] | null;
  readonly f?: string;
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 22);
}

const typesKey = (types: readonly string[] | undefined) => (types ? [...new Set(types)].sort() : null);
const describeTypes = (y: string[] | null) => (y ? `"types" ${y.join(', ')}` : 'no "types"');

/** An opaque cursor: where the next page of this search starts, issued at `now` (ms). */
export function encodeCursor(offset: number, scope: CursorScope, secret: string, now = Date.now()): string {
  const body: CursorPayload = { o: offset, t: Math.floor(now / 1000), q: sign(scope.query, secret), l: scope.limit, y: typesKey(scope.types), ...(scope.filters ? { f: sign(filtersKey(scope.filters), secret) } : {}) };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

function decodeCursor(cursor: unknown, scope: CursorScope, secret: string, now: number): number {
  if (typeof cursor !== 'string' || !/^[\w-]+\.[\w-]{22}$/.test(cursor)) throw new RequestError('invalid_cursor', '"cursor" must be a cursor returned as nextCursor by an earlier search');
  const [payload, mac] = cursor.split('.') as [string, string];
  if (!timingSafeEqual(Buffer.from(mac), Buffer.from(sign(payload, secret)))) throw new RequestError('invalid_cursor', '"cursor" has been altered or comes from another deployment');
  let c: CursorPayload;
  try {
    c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CursorPayload;
  } catch {
    throw new RequestError('invalid_cursor', '"cursor" must be a cursor returned as nextCursor by an earlier search');
  }
  if (!Number.isInteger(c.o) || c.o < 0 || !Number.isInteger(c.t)) throw new RequestError('invalid_cursor', '"cursor" must be a cursor returned as nextCursor by an earlier search');
  if (now / 1000 - c.t > CURSOR_TTL_SECONDS) throw new RequestError('invalid_cursor', `"cursor" has expired; search again (a cursor is valid for ${CURSOR_TTL_SECONDS / 60} minutes)`);
  if (c.q !== sign(scope.query, secret)) throw new RequestError('invalid_cursor', '"cursor" belongs to a different query');
  if ((c.f ?? '') !== (scope.filters ? sign(filtersKey(scope.filters), secret) : '')) throw new RequestError('invalid_cursor', '"cursor" was issued for other "filters": send it with the same "filters" as the search that returned it');
  const y = typesKey(scope.types);
  if (c.l !== scope.limit || JSON.stringify(c.y) !== JSON.stringify(y)) {
    throw new RequestError(
      'invalid_cursor',
      `"cursor" was issued for "limit" ${c.l} and ${describeTypes(c.y)}, this search has "limit" ${scope.limit} and ${describeTypes(y)}: send a cursor with the same "limit" and "types" as the search that returned it`,
    );
  }
  return c.o;
}

export interface SearchRequestOptions {
  readonly knownTypes: readonly string[];
  readonly cursorSecret: string;
  /** The clock, in epoch milliseconds (tests). @default Date.now() */
  readonly now?: number;
}

export function readSearchRequest(body: Record<string, unknown>, { knownTypes, cursorSecret, now = Date.now() }: SearchRequestOptions): SearchRequest {
  const { query, limit = DEFAULT_LIMIT, cursor, types, filters, facets = false } = body;
  if (query === undefined) throw new RequestError('missing_query', 'the field "query" is required: {"query": "..."}');
  if (typeof query !== 'string') throw new RequestError('invalid_query', `"query" must be a string, got ${jsonTypeOf(query)}`);
  if (query.trim() === '') throw new RequestError('empty_query', '"query" is empty or only white space');
  if (Array.from(query).length > MAX_QUERY_CHARS) throw new RequestError('query_too_long', `"query" is longer than ${MAX_QUERY_CHARS} characters, the limit for a search`);
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RequestError('invalid_limit', `"limit" must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`);
  }
  const typeFilter = types === undefined ? undefined : readEntityTypes(types, knownTypes);
  const entityFilters = readFilters(filters, knownTypes);
  if (typeof facets !== 'boolean') throw new RequestError('invalid_facets', `"facets" must be true or false, got ${jsonTypeOf(facets) === 'string' ? JSON.stringify(String(facets).slice(0, 40)) : jsonTypeOf(facets)}`);
  const offset = cursor === undefined ? 0 : decodeCursor(cursor, { query, limit, types: typeFilter, filters: entityFilters }, cursorSecret, now);
  return { query, limit, offset, types: typeFilter, ...(entityFilters ? { filters: entityFilters } : {}), facets };
}

/**
 * The secret that signs cursors, resolved once per execution environment: NERVE_CURSOR_SECRET
 * if set (an override), else the stack's Secrets Manager secret (NERVE_CURSOR_SECRET_ARN),
 * which every instance reads alike. Neither (the local stack): a random one, valid in this
 * process only, with a warning.
 */
export async function resolveCursorSecret(
  source: { readonly secret?: string; readonly secretArn?: string },
  io: { readonly fetchSecret: (arn: string) => Promise<string | undefined>; readonly warn: (message: string) => void },
): Promise<string> {
  if (source.secret) return source.secret;
  if (source.secretArn) {
    const value = await io.fetchSecret(source.secretArn);
    if (!value) throw new ConfigError(`the cursor secret ${source.secretArn} (${ENV.cursorSecretArn}) has no string value`, { variable: ENV.cursorSecretArn });
    return value;
  }
  io.warn(`neither ${ENV.cursorSecret} nor ${ENV.cursorSecretArn} is set: search cursors are signed with a random secret and are valid on this instance only`);
  return randomBytes(32).toString('hex');
}
