/**
 * `nerve search QUERY`: POST /v1/search on the running local stack (its URL is in
 * .nerve/local.json) or on any Nerve API (`--url`, with `--token` for a JWT authorizer),
 * and print the ranked documents with the entities each matched.
 */
import { NerveError } from '../lambdas/shared/errors.js';
import { readLocalConfig } from '../local/config.js';

export interface SearchCommand {
  readonly query: string;
  readonly limit?: number;
  readonly types?: string[];
  readonly url?: string;
  readonly token?: string;
  readonly json?: boolean;
}

interface SearchBody {
  queryEntities: Array<{ text: string; type: string; foundBy: string }>;
  results: Array<{ key: string; line?: number; score: number; title?: string; matches: Array<{ type: string; text: string; mentionCount: number }> }>;
  nextCursor?: string;
  reason?: string;
}

function apiUrl(explicit: string | undefined): string {
  if (explicit) return explicit.replace(/\/+$/, '');
  return readLocalConfig({ otherwise: 'name an API with --url' }).apiUrl;
}

export async function searchCommand(o: SearchCommand): Promise<number> {
  const url = `${apiUrl(o.url)}/v1/search`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      body: JSON.stringify({ query: o.query, ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.types ? { types: o.types } : {}) }),
    });
  } catch (e) {
    throw new NerveError('unreachable', `cannot reach ${url}: ${(e as Error).cause ? String((e as Error).cause) : (e as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as SearchBody & { error?: { message: string } };
  if (!res.ok) throw new NerveError('search_failed', `${url} answered ${res.status}: ${body.error?.message ?? res.statusText}`);
  if (o.json) {
    console.log(JSON.stringify(body, null, 1));
    return 0;
  }
  console.log(`query entities: ${body.queryEntities.map((e) => `${e.text} (${e.type}, ${e.foundBy})`).join(', ') || 'none'}`);
  if (body.results.length === 0) console.log(body.reason ?? 'no results');
  body.results.forEach((r, i) => {
    const where = r.line !== undefined ? `${r.key}:${r.line}` : r.key;
    console.log(`${String(i + 1).padStart(3)}. ${r.score.toFixed(3)}  ${where}${r.title ? `  ${r.title}` : ''}`);
    console.log(`      ${r.matches.map((m) => `${m.text} (${m.type}, ${m.mentionCount}×)`).join(', ')}`);
  });
  if (body.nextCursor) console.log('more results: raise --limit (up to 50)');
  return 0;
}
