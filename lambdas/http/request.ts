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

/** The body's size in bytes (decoded, when API Gateway sent it base64-encoded). */
export function bodyBytes(event: APIGatewayProxyEventV2): number {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64').length : Buffer.byteLength(raw, 'utf8');
}

/** Refuses a body over `limits.maxBodyBytes` with a 413 that says where to go instead. */
export function checkBodySize(bytes: number, limits: JsonRequestLimits): void {
  if (bytes > limits.maxBodyBytes) {
    throw new RequestError('payload_too_large', `the request body is ${bytes} bytes; the limit is ${limits.maxBodyBytes} bytes. ${limits.tooLargeHint}`);
  }
}

/** What a JSON value is, in words, for messages that say what a field got instead. */
export function jsonTypeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * `types`, a filter on entity types: a non-empty array of types the model knows,
 * without repeats. A refusal names the field and the known types.
 */
export function readEntityTypes(types: unknown, knownTypes: readonly string[]): string[] {
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) {
    throw new RequestError('invalid_types', `"types" must be a non-empty array of entity types (${knownTypes.join(', ')}), got ${Array.isArray(types) ? (types.length === 0 ? 'an empty array' : 'an array with a non-string') : jsonTypeOf(types)}`);
  }
  const unknown = [...new Set(types.filter((t) => !knownTypes.includes(t)))];
  if (unknown.length > 0) {
    // A few of them, each cut short: the message stays small whatever was sent.
    const named = unknown.slice(0, 5).map((t) => JSON.stringify(t.slice(0, 40))).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
    throw new RequestError('invalid_types', `"types" has unknown entity type${unknown.length > 1 ? 's' : ''} ${named}; known types are ${knownTypes.join(', ')}`);
  }
  return [...new Set(types as string[])];
}

export function parseJsonObject(event: APIGatewayProxyEventV2, limits: JsonRequestLimits): Record<string, unknown> {
  const type = header(event, 'content-type');
  if (!type || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type.trim())) {
    throw new RequestError('unsupported_media_type', `send the request as JSON with "Content-Type: application/json"${type ? `, not "${type}"` : ''}`);
  }
  const raw = event.body ?? '';
  checkBodySize(bodyBytes(event), limits);
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (text.trim() === '') throw new RequestError('empty_body', 'the request body is empty; send a JSON object such as {"text": "..."}');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RequestError('invalid_json', `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestError('invalid_body', `the request body must be a JSON object, not ${jsonTypeOf(value)}`);
  }
  return value as Record<string, unknown>;
}
