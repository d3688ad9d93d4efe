/**
 * docs/openapi.json against the code, without running it: the closed error codes with
 * their statuses (lambdas/shared/errors.ts), the routes the local stack and the CDK
 * constructs serve, and the document's own request examples.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUEST_ERRORS } from '../../lambdas/shared/errors.js';
import { repoRoot } from '../helpers/paths.js';
import { OpenApiContract } from './openapi.js';

const contract = new OpenApiContract();
const schemas = contract.doc.components.schemas;
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** `METHOD /path` of every operation the document has. */
const documented = Object.entries(contract.doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)).sort();

describe('docs/openapi.json', () => {
  it('lists every error code under the status errors.ts gives it, and no other code', () => {
    const byStatus = new Map<number, string[]>([[500, ['internal_error']]]);
    for (const [code, status] of Object.entries(REQUEST_ERRORS)) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    const inDocument = Object.keys(schemas).filter((name) => /^Error\d{3}$/.test(name)).sort();
    expect(inDocument).toEqual([...byStatus.keys()].map((s) => `Error${s}`).sort());
    for (const [status, codes] of byStatus) expect(schemas[`Error${status}`].properties.error.properties.code.enum.sort(), `Error${status}`).toEqual(codes.sort());
  });

  it('documents each route the local stack and the CDK constructs serve, and no other', () => {
    const local = [...read('local/main.ts').matchAll(/\{ method: '(\w+)', path: '([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`);
    const constructs = readdirSync(join(repoRoot, 'lib'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...read(`lib/${f}`).matchAll(/addRoutes\(\{ path: '([^']+)', methods: \[apigw\.HttpMethod\.(\w+)\]/g)].map((m) => `${m[2]} ${m[1]}`));
    expect(new Set(local)).toEqual(new Set(constructs)); // the two cannot drift either
    expect(local.length).toBeGreaterThanOrEqual(3);
    expect(documented).toEqual([...new Set([...local, 'GET /'])].sort()); // GET /: the local try-it page
  });

  it('gives every API operation its refusals and the service fault, each with the error body', () => {
    for (const [path, item] of Object.entries(contract.doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      if (path === '/') continue;
      for (const [method, op] of Object.entries(item)) {
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['200', '400', '403', '429', '500']));
      }
    }
  });

  it('has request examples that its own schemas accept, and schemas that refuse what the routes refuse', () => {
    const entities = contract.operation('POST', '/v1/entities').requestBody.content['application/json'];
    for (const [name, example] of Object.entries(entities.examples as Record<string, { value: unknown }>)) expect(contract.isValid('EntitiesRequest', example.value), name).toBe(true);
    for (const bad of [{ text: 'a', texts: ['b'] }, {}, { texts: [] }, { texts: Array(26).fill('a') }, { text: 'a', minScore: 2 }, { text: 'a', language: 'de' }, { text: 'a', types: [] }]) {
      expect(contract.isValid('EntitiesRequest', bad), JSON.stringify(bad).slice(0, 40)).toBe(false);
    }
    const search = contract.operation('POST', '/v1/search').requestBody.content['application/json'];
    for (const example of Object.values(search.examples as Record<string, { value: unknown }>)) expect(contract.isValid('SearchRequest', example.value)).toBe(true);
    expect(contract.isValid('SearchRequest', { query: 'x', limit: 51 })).toBe(false);
  });
});
