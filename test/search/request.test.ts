/**
 * Search cursors (lambdas/search/request.ts): signed with the deployment's secret, they
 * expire, stay bound to the query, limit and types of the search that issued them, and
 * refuse tampering; and where the secret comes from (override, Secrets Manager, random).
 */
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, RequestError } from '../../lambdas/shared/errors.js';
import { CURSOR_TTL_SECONDS, encodeCursor, readSearchRequest, resolveCursorSecret } from '../../lambdas/search/request.js';

const SECRET = 'test-secret';
const TYPES = ['LOC', 'MISC', 'ORG', 'PER'];
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const read = (body: Record<string, unknown>, now = T0, cursorSecret = SECRET) => readSearchRequest(body, { knownTypes: TYPES, cursorSecret, now });

/** The RequestError reading `body` throws (its status and message), or a failure if it is accepted. */
function refusal(body: Record<string, unknown>, now = T0): { status: number; code: string; message: string } {
  try {
    read(body, now);
  } catch (e) {
    if (!(e instanceof RequestError)) throw e;
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error(`accepted ${JSON.stringify(body).slice(0, 80)}`);
}

const search = { query: 'Anna Kowalczyk in Paris', limit: 5, types: ['PER', 'LOC'] };
const cursorOf = (offset: number, scope: { query: string; limit: number; types?: string[] } = search, now = T0, secret = SECRET) => encodeCursor(offset, scope, secret, now);

describe('search cursors', () => {
  it('a cursor returns the offset of the next page, for the same search', () => {
    expect(read({ ...search, cursor: cursorOf(5) })).toMatchObject({ offset: 5, limit: 5, types: ['PER', 'LOC'] });
    // A search as readSearchRequest returns it is the scope the handler signs.
    const first = read(search);
    expect(read({ ...search, cursor: encodeCursor(10, first, SECRET, T0) }).offset).toBe(10);
  });

  it('expires an hour after it was issued', () => {
    expect(CURSOR_TTL_SECONDS).toBe(3600);
    const cursor = cursorOf(5);
    expect(read({ ...search, cursor }, T0 + (CURSOR_TTL_SECONDS - 1) * 1000).offset).toBe(5);
    const expired = refusal({ ...search, cursor }, T0 + (CURSOR_TTL_SECONDS + 1) * 1000);
    expect(expired).toMatchObject({ status: 400, code: 'invalid_cursor' });
    expect(expired.message).toMatch(/has expired; search again/);
  });

  it('is bound to its query', () => {
    expect(refusal({ ...search, query: 'Ravi Mehta', cursor: cursorOf(5) })).toMatchObject({ status: 400, code: 'invalid_cursor', message: expect.stringMatching(/belongs to a different query/) });
  });

  it('is bound to its limit: reused with another one, it is refused with the limit it was issued for', () => {
    const r = refusal({ ...search, limit: 10, cursor: cursorOf(5) });
    expect(r).toMatchObject({ status: 400, code: 'invalid_cursor' });
    expect(r.message).toMatch(/"limit" 5/);
    expect(r.message).toMatch(/same "limit" and "types"/);
  });

  it('is bound to its types (in any order), and to none when the search had none', () => {
    expect(read({ ...search, types: ['LOC', 'PER'], cursor: cursorOf(5) }).offset).toBe(5);
    for (const types of [['PER'], undefined]) {
      const r = refusal({ ...search, types, cursor: cursorOf(5) });
      expect(r).toMatchObject({ status: 400, code: 'invalid_cursor' });
      expect(r.message).toMatch(/"types" LOC, PER/);
    }
    const untyped = cursorOf(5, { query: search.query, limit: 5 });
    expect(refusal({ ...search, cursor: untyped }).message).toMatch(/issued for "limit" 5 and no "types"/);
  });

  it('refuses a cursor that was altered, or signed by another deployment', () => {
    const cursor = cursorOf(5);
    const [payload, mac] = cursor.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...decoded, o: 500 })).toString('base64url');
    const flipped = `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${mac}`;
    for (const bad of [`${forged}.${mac}`, flipped, cursorOf(5, search, T0, 'another-secret')]) {
      expect(refusal({ ...search, cursor: bad })).toMatchObject({ status: 400, code: 'invalid_cursor', message: expect.stringMatching(/altered or comes from another deployment/) });
    }
  });

  it('refuses what is no cursor at all', () => {
    for (const cursor of ['garbage', 42, '', 'a.b']) {
      expect(refusal({ ...search, cursor })).toMatchObject({ status: 400, code: 'invalid_cursor', message: expect.stringMatching(/must be a cursor returned as nextCursor/) });
    }
  });
});

describe('the cursor secret', () => {
  const io = () => ({ fetchSecret: vi.fn(async () => 'from-secrets-manager'), warn: vi.fn() });

  it('NERVE_CURSOR_SECRET overrides: Secrets Manager is not asked', async () => {
    const deps = io();
    expect(await resolveCursorSecret({ secret: 'override', secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' }, deps)).toBe('override');
    expect(deps.fetchSecret).not.toHaveBeenCalled();
    expect(deps.warn).not.toHaveBeenCalled();
  });

  it('otherwise the stack\'s secret, read once from Secrets Manager by its ARN', async () => {
    const deps = io();
    expect(await resolveCursorSecret({ secretArn: 'arn:x' }, deps)).toBe('from-secrets-manager');
    expect(deps.fetchSecret).toHaveBeenCalledTimes(1);
    expect(deps.fetchSecret).toHaveBeenCalledWith('arn:x');
    expect(deps.warn).not.toHaveBeenCalled();
  });

  it('a secret without a value is a configuration error, not a random secret', async () => {
    await expect(resolveCursorSecret({ secretArn: 'arn:x' }, { fetchSecret: async () => undefined, warn: () => {} })).rejects.toBeInstanceOf(ConfigError);
  });

  it('neither set (the local stack): a random secret, with one warning', async () => {
    const deps = io();
    const [a, b] = [await resolveCursorSecret({}, deps), await resolveCursorSecret({ secret: '', secretArn: '' }, deps)];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).not.toBe(a);
    expect(deps.warn).toHaveBeenCalledTimes(2); // once per resolution, which the handler does once at init
    expect(deps.warn.mock.calls[0]![0]).toMatch(/NERVE_CURSOR_SECRET/);
    expect(deps.fetchSecret).not.toHaveBeenCalled();
  });
});
