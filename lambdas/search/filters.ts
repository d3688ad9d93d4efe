/**
 * `filters` of a search request: `{"LOC": ["tokyo"], "ORG": ["opec", "ibm"]}` keeps the
 * documents that hold, for every type named, one of its values (an entity of that type,
 * matched through the same normalization and aliases as a query's entities). Checked
 * here: every problem is a 400 `invalid_filters` that names the field.
 */
import { jsonTypeOf } from '../http/request.js';
import { normalizeName } from '../index/normalize.js';
import { RequestError } from '../shared/errors.js';

/** Values one filter type may list: each is a name lookup, and the request stays small. */
export const MAX_FILTER_VALUES = 10;
/** Longest filter value, in code points (a name, not a text). */
export const MAX_FILTER_VALUE_CHARS = 200;

/** Normalized filter values by type, each type's values sorted and without repeats. */
export type SearchFilters = Record<string, string[]>;

const refuse = (message: string) => new RequestError('invalid_filters', message);

export function readFilters(filters: unknown, knownTypes: readonly string[]): SearchFilters | undefined {
  if (filters === undefined) return undefined;
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
    throw refuse(`"filters" must be an object of entity types to arrays of names, such as {"LOC": ["tokyo"]}, got ${jsonTypeOf(filters)}`);
  }
  const out: SearchFilters = {};
  for (const [type, values] of Object.entries(filters)) {
    const field = `"filters.${type.slice(0, 40)}"`;
    if (!knownTypes.includes(type)) throw refuse(`"filters" has unknown entity type ${JSON.stringify(type.slice(0, 40))}; known types are ${knownTypes.join(', ')}`);
    if (!Array.isArray(values) || values.length === 0) throw refuse(`${field} must be a non-empty array of names, got ${Array.isArray(values) ? 'an empty array' : jsonTypeOf(values)}`);
    if (values.length > MAX_FILTER_VALUES) throw refuse(`${field} has ${values.length} values, more than the ${MAX_FILTER_VALUES} a filter may list`);
    const normalized = values.map((v, i) => {
      if (typeof v !== 'string') throw refuse(`${field}[${i}] must be a string, got ${jsonTypeOf(v)}`);
      if (Array.from(v).length > MAX_FILTER_VALUE_CHARS) throw refuse(`${field}[${i}] is longer than ${MAX_FILTER_VALUE_CHARS} characters`);
      const name = normalizeName(v);
      if (!name) throw refuse(`${field}[${i}] has no letters or digits`);
      return name;
    });
    out[type] = [...new Set(normalized)].sort();
  }
  if (Object.keys(out).length === 0) throw refuse('"filters" is empty: name at least one entity type, such as {"LOC": ["tokyo"]}');
  return out;
}

/** One string per set of filters, for binding a cursor to them. */
export const filtersKey = (filters: SearchFilters | undefined) => (filters ? JSON.stringify(Object.keys(filters).sort().map((t) => [t, filters[t]])) : '');
