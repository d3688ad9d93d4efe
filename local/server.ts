/**
 * The local stack's HTTP front door: 127.0.0.1 only, the same routes and handlers as
 * the HTTP API in AWS, and the try-it page at GET /.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toHttpApiEvent } from './events.js';

export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  readonly method: string;
  /** Path with `{name}` parameters, as API Gateway writes route keys. */
  readonly path: string;
  readonly handler: HttpHandler;
}

/** API Gateway refuses payloads over 10 MB before any handler runs; so does this server. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const PAGE = join(dirname(fileURLToPath(import.meta.url)), 'public', 'index.html');

function match(route: Route, method: string, path: string): Record<string, string> | undefined {
  if (route.method !== method) return undefined;
  const names: string[] = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const m = new RegExp(`^${pattern}$`).exec(path);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, decodePathSegment(m[i + 1]!)]));
}

/** A malformed percent-encoding (`%E0%A4%A`) reaches the handler as sent, which refuses it with a 4xx. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function createLocalServer(routes: readonly Route[]): Server {
  return createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const method = req.method ?? 'GET';
      if (method === 'GET' && (path === '/' || path === '/index.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(readFileSync(PAGE));
        return;
      }
      for (const route of routes) {
        const params = match(route, method, path);
        if (!params) continue;
        const body = await readBody(req);
        if (body === undefined) {
          // The rest of the body is not read: the connection cannot be reused, and a keep-alive client must be told so.
          sendJson(res, 413, { error: { code: 'payload_too_large', message: `request bodies are limited to ${MAX_PAYLOAD_BYTES} bytes` } }, { connection: 'close' });
          req.destroy();
          return;
        }
        const event = toHttpApiEvent(req, body, `${route.method} ${route.path}`, Object.keys(params).length ? params : undefined);
        const result = await route.handler(event);
        res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
        res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
        return;
      }
      const known = routes.some((r) => match({ ...r, method }, method, path));
      sendJson(res, known ? 405 : 404, {
        error: known
          ? { code: 'method_not_allowed', message: `${method} is not allowed on ${path}` }
          : { code: 'not_found', message: `no route for ${method} ${path}` },
      });
    } catch (e) {
      console.error('local server: handler failed', e);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal_error', message: 'the handler failed; see the server log' } });
      else res.end();
    }
  });
}
