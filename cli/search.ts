/**
 * `nerve search QUERY`: POST /v1/search on the running local stack (its URL is in
 * .nerve/local.json) or on any Nerve API (`--url`, authenticated as its authorizer wants:
 * request-auth.ts), and print the ranked documents with the entities each matched.
 */
import { NerveError } from '../lambdas/shared/errors.js';
import { readLocalConfig } from '../local/config.js';
import { choiceOption, integerOption, usageError, type Command } from './command.js';
import { AUTH_KINDS, authorizedHeaders, type RequestAuth } from './request-auth.js';

export interface SearchCommand {
  readonly query: string;
  readonly limit?: number;
  readonly types?: string[];
  readonly url?: string;
  readonly auth?: RequestAuth;
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
  const body = JSON.stringify({ query: o.query, ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.types ? { types: o.types } : {}) });
  const headers = await authorizedHeaders(new URL(url), body, { 'content-type': 'application/json' }, o.auth ?? {});
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body });
  } catch (e) {
    throw new NerveError('unreachable', `cannot reach ${url}: ${(e as Error).cause ? String((e as Error).cause) : (e as Error).message}`);
  }
  const answer = (await res.json().catch(() => ({}))) as SearchBody & { error?: { message: string }; message?: string };
  // API Gateway's own refusals (403 for a bad signature, 401 for a bad token) carry `message`, not `error`.
  if (!res.ok) throw new NerveError('search_failed', `${url} answered ${res.status}: ${answer.error?.message ?? answer.message ?? res.statusText}`);
  if (o.json) {
    console.log(JSON.stringify(answer, null, 1));
    return 0;
  }
  console.log(`query entities: ${answer.queryEntities.map((e) => `${e.text} (${e.type}, ${e.foundBy})`).join(', ') || 'none'}`);
  if (answer.results.length === 0) console.log(answer.reason ?? 'no results');
  answer.results.forEach((r, i) => {
    const where = r.line !== undefined ? `${r.key}:${r.line}` : r.key;
    console.log(`${String(i + 1).padStart(3)}. ${r.score.toFixed(3)}  ${where}${r.title ? `  ${r.title}` : ''}`);
    console.log(`      ${r.matches.map((m) => `${m.text} (${m.type}, ${m.mentionCount}×)`).join(', ')}`);
  });
  if (answer.nextCursor) console.log('more results: raise --limit (up to 50)');
  return 0;
}

export const searchCli: Command = {
  name: 'search',
  usage: `usage: nerve search QUERY... [--limit N] [--types LOC,PER,...] [--json] [--url URL [--auth iam|jwt|none] [--token JWT] [--region R]]
ranked documents for QUERY from the running local stack, or from the API at URL

  --limit N         results to return (the API allows 1 to 50)
  --types T,...     only these entity types count
  --json            the API's response as JSON
  --url URL         a deployed API (the stack's ApiUrl output)
  --auth A          iam: signs with SigV4 and the AWS SDK's default credentials (the
                    default for an execute-api URL); jwt: sends the token as a Bearer
                    token (the default with --token); none (the default otherwise)
  --token JWT       the token for --auth jwt (default: the NERVE_TOKEN environment variable)
  --region R        the API's region for SigV4 (default: AWS_REGION, else the URL's)`,
  options: {
    limit: { type: 'string' },
    types: { type: 'string' },
    json: { type: 'boolean', default: false },
    url: { type: 'string' },
    auth: { type: 'string' },
    token: { type: 'string' },
    region: { type: 'string' },
  },
  run(values, positionals) {
    if (positionals.length === 0) throw usageError(this, 'search needs QUERY');
    const url = values.url as string | undefined;
    if (url !== undefined && !URL.canParse(url)) throw usageError(this, `--url must be an absolute URL (https://…), got "${url}"`);
    const kind = choiceOption('auth', values.auth, AUTH_KINDS);
    const token = (values.token as string | undefined) ?? (process.env.NERVE_TOKEN || undefined);
    return searchCommand({
      query: positionals.join(' '),
      limit: integerOption('limit', values.limit),
      types: (values.types as string | undefined)?.split(',').map((t) => t.trim()),
      url,
      auth: { kind, token, region: values.region as string | undefined },
      json: Boolean(values.json),
    });
  },
};
