/**
 * Reading a JSON request from an API Gateway HTTP API (payload v2) event, with the
 * checks every route needs: content type, size, encoding, JSON, an object at the top.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { RequestError } from '../shared/errors.js';

export interface JsonRequestLimits {
  /** Largest body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** Where to send callers whose payload is too big. */
  readonly tooLargeHint: string;
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  // HTTP API lower-cases header names; the local server does the same.
  return event.headers?.[name] ?? undefined;
}

export function parseJsonObject(event: APIGatewayProxyEventV2, limits: JsonRequestLimits): Record<string, unknown> {
  const type = header(event, 'content-type');
  if (!type || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type.trim())) {
    throw new RequestError('unsupported_media_type', `send the request as JSON with "Content-Type: application/json"${type ? `, not "${type}"` : ''}`);
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > limits.maxBodyBytes) {
    throw new RequestError('payload_too_large', `the request body is ${bytes.length} bytes; the limit is ${limits.maxBodyBytes} bytes. ${limits.tooLargeHint}`);
  }
  const text = event.isBase64Encoded ? bytes.toString('utf8') : raw;
  if (text.trim() === '') throw new RequestError('empty_body', 'the request body is empty; send a JSON object such as {"text": "..."}');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RequestError('invalid_json', `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestError('invalid_body', `the request body must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
