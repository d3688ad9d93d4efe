/**
 * `nerve search --url` against an API that checks who is calling, as API Gateway's
 * authorizers do: a server on 127.0.0.1 that verifies the SigV4 signature by signing the
 * request it received again with the same signer and the caller's secret (a wrong secret,
 * a changed body or path fails it), or checks the Bearer token.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authKindFor } from '../../cli/request-auth.js';
import { runNerve } from './run-nerve.js';

const CREDENTIALS = { accessKeyId: 'AKIDNERVETEST', secretAccessKey: 'nerve-test-secret', sessionToken: 'nerve-session' };
const REGION = 'eu-west-1';
const TOKEN = 'header.payload.signature';
const ANSWER = { queryEntities: [{ text: 'Anna Kowalczyk', type: 'PER', foundBy: 'model' }], results: [{ documentId: 'd1', key: 'incoming/a.txt', score: 1, matches: [{ type: 'PER', text: 'Anna Kowalczyk', normalized: 'anna kowalczyk', mentionCount: 2, mentions: [] }] }] };

/** What API Gateway's IAM authorizer checks: the signature over the signed headers, path and body, for this key, region and service. */
async function signatureProblem(req: IncomingMessage, body: string, secretAccessKey: string): Promise<string | undefined> {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return `not a SigV4 Authorization header: ${auth}`;
  const [, keyId, , region, service, signedHeaders, signature] = m;
  if (keyId !== CREDENTIALS.accessKeyId || region !== REGION || service !== 'execute-api') return `wrong scope ${keyId}/${region}/${service}`;
  const names = signedHeaders!.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-security-token', 'content-type']) if (!names.includes(required)) return `${required} is not signed`;
  const amzDate = String(req.headers['x-amz-date']);
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const [path, query = ''] = (req.url ?? '/').split('?');
  const again = await new SignatureV4({ service: 'execute-api', region: REGION, sha256: Sha256, credentials: { ...CREDENTIALS, secretAccessKey } }).sign(
    new HttpRequest({ method: req.method, protocol: 'http:', hostname: '127.0.0.1', path, query: Object.fromEntries(new URLSearchParams(query)), headers: Object.fromEntries(names.map((n) => [n, String(req.headers[n])])), body }),
    { signingDate },
  );
  return String(again.headers.authorization).endsWith(`Signature=${signature}`) ? undefined : 'The request signature we calculated does not match the signature you provided.';
}

type Check = (req: IncomingMessage, body: string) => Promise<string | undefined>;
let server: Server;
let url: string;
let check: Check;
const seen: Array<{ path: string; body: unknown }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', async () => {
      const problem = await check(req, body);
      seen.push({ path: req.url ?? '', body: body ? JSON.parse(body) : undefined });
      res.writeHead(problem ? 403 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(problem ? { message: problem } : ANSWER));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const AWS_ENV = { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_SESSION_TOKEN: CREDENTIALS.sessionToken, AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, NERVE_TOKEN: undefined };
const search = (args: string[], env: Record<string, string | undefined> = {}) => runNerve(['search', 'Anna Kowalczyk', '--limit', '3', '--url', url, ...args], { env: { ...AWS_ENV, ...env } });

describe('nerve search --url, IAM-authorised (SigV4)', () => {
  it('signs with the SDK\'s signer and the default credential chain: the API accepts the signature', async () => {
    check = (req, body) => signatureProblem(req, body, CREDENTIALS.secretAccessKey);
    const run = await search(['--auth', 'iam', '--region', REGION]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/ 1\. 1\.000 {2}incoming\/a\.txt/);
    expect(seen.at(-1)).toEqual({ path: '/v1/search', body: { query: 'Anna Kowalczyk', limit: 3 } });
  });

  it('the region can come from AWS_REGION', async () => {
    check = (req, body) => signatureProblem(req, body, CREDENTIALS.secretAccessKey);
    expect((await search(['--auth', 'iam'], { AWS_REGION: REGION })).status).toBe(0);
  });

  it('a signature the API does not accept (another secret) fails with the API\'s message, exit 1', async () => {
    check = (req, body) => signatureProblem(req, body, 'not-the-callers-secret');
    const run = await search(['--auth', 'iam', '--region', REGION]);
    expect(run.stderr).toMatch(/answered 403: The request signature we calculated does not match/);
    expect(run.status).toBe(1);
  });

  it('without a region to sign for, a usage error', async () => {
    const run = await search(['--auth', 'iam']);
    expect(run.stderr).toMatch(/signing for 127\.0\.0\.1:\d+ needs a region: pass --region or set AWS_REGION/);
    expect(run.status).toBe(2);
  });
});

describe('nerve search --url with a JWT', () => {
  beforeAll(() => {
    check = async (req) => (req.headers.authorization === `Bearer ${TOKEN}` ? undefined : `Unauthorized: ${req.headers.authorization ?? 'no header'}`);
  });

  it('sends --token as a Bearer token', async () => {
    const run = await search(['--token', TOKEN]);
    expect(run.status, run.stderr).toBe(0);
  });

  it('or the NERVE_TOKEN environment variable', async () => {
    const run = await search([], { NERVE_TOKEN: TOKEN });
    expect(run.status, run.stderr).toBe(0);
  });

  it('a wrong token is refused by the API: exit 1 with its message', async () => {
    const run = await search(['--token', 'other']);
    expect(run.stderr).toMatch(/answered 403: Unauthorized: Bearer other/);
    expect(run.status).toBe(1);
  });

  it('with no token and no --auth, no Authorization header at all (a local or open API)', async () => {
    check = async (req) => (req.headers.authorization === undefined ? undefined : 'unexpected Authorization header');
    expect((await search([])).status).toBe(0);
  });
});

describe('which authentication a URL gets without --auth', () => {
  it('an execute-api URL: SigV4; a token: JWT; anything else: none', () => {
    expect(authKindFor(new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/'), {})).toBe('iam');
    expect(authKindFor(new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/'), { token: TOKEN })).toBe('jwt');
    expect(authKindFor(new URL('https://api.example.com/'), {})).toBe('none');
    expect(authKindFor(new URL('https://api.example.com/'), { kind: 'iam' })).toBe('iam');
  });
});
