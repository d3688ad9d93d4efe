/**
 * How `nerve` authenticates to a deployed Nerve API, as its authorizer expects:
 *   iam   SigV4 (service execute-api), signed by the AWS SDK's own signer with the SDK's
 *         default credential chain (environment, shared config and SSO profiles, IMDS…)
 *   jwt   `Authorization: Bearer <token>`, for a JWT authorizer
 *   none  no header (the local stack, an API deployed with nerve:auth=none)
 * Without --auth, a token means jwt, an AWS host (execute-api) means iam, else none.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { ConfigError, UsageError } from '../lambdas/shared/errors.js';

export const AUTH_KINDS = ['iam', 'jwt', 'none'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

export interface RequestAuth {
  readonly kind?: AuthKind;
  readonly token?: string;
  readonly region?: string;
}

/** The region an execute-api host names: abc123.execute-api.eu-west-1.amazonaws.com. */
const EXECUTE_API_HOST = /^[^.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export function authKindFor(url: URL, auth: RequestAuth): AuthKind {
  if (auth.kind) return auth.kind;
  if (auth.token) return 'jwt';
  return /\.amazonaws\.com(\.cn)?$/.test(url.hostname) ? 'iam' : 'none';
}

function regionFor(url: URL, explicit: string | undefined): string {
  const region = explicit ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? EXECUTE_API_HOST.exec(url.hostname)?.[1];
  if (!region) throw new UsageError(`signing for ${url.host} needs a region: pass --region or set AWS_REGION`);
  return region;
}

/** The headers to send with a POST of `body` to `url`: `headers` plus what the authorizer needs. */
export async function authorizedHeaders(url: URL, body: string, headers: Record<string, string>, auth: RequestAuth): Promise<Record<string, string>> {
  const kind = authKindFor(url, auth);
  if (kind === 'none') return headers;
  if (kind === 'jwt') {
    if (!auth.token) throw new UsageError('--auth jwt needs a token: pass --token JWT or set NERVE_TOKEN');
    return { ...headers, authorization: `Bearer ${auth.token}` };
  }
  const signer = new SignatureV4({ service: 'execute-api', region: regionFor(url, auth.region), credentials: defaultProvider(), sha256: Sha256 });
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    // Host is signed as fetch will send it (with the port, when there is one).
    headers: { ...headers, host: url.host },
    body,
  });
  let signed;
  try {
    signed = await signer.sign(request);
  } catch (e) {
    throw new ConfigError(`cannot sign the request to ${url.host} (SigV4): ${(e as Error).message}`);
  }
  // fetch sets Host itself, from the URL: the same value.
  const { host: _host, ...rest } = signed.headers;
  return rest;
}
