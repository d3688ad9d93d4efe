/** API Gateway HTTP API (payload v2) events, as AWS delivers them: for calling a handler in-process (tests, benchmarks). */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An event for `routeKey` ("POST /v1/entities"). */
export function httpApiEvent(
  routeKey: string,
  { body, headers = { 'content-type': 'application/json' }, isBase64Encoded = false, pathParameters }: {
    body?: string;
    headers?: Record<string, string>;
    isBase64Encoded?: boolean;
    pathParameters?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2 {
  const [method, path] = routeKey.split(' ') as [string, string];
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers,
    pathParameters,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '27/Nov/2026:12:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
    body,
    isBase64Encoded,
  };
}

export const jsonEvent = (routeKey: string, value: unknown) => httpApiEvent(routeKey, { body: JSON.stringify(value) });
