/**
 * Lambda entry for POST /v1/search: the small model on the query, read-only access to
 * the entity index. The model loads once per execution environment.
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadModel } from '../engine/load.js';
import { toHttpError } from '../http/errors.js';
import { errorResponse, json, parseJsonObject } from '../http/request.js';
import { ENV, readEnv, readIntEnv } from '../shared/env.js';
import { encodeCursor, MAX_QUERY_CHARS, readSearchRequest } from './request.js';
import { search } from './search.js';

const logger = new Logger({ serviceName: 'nerve-search' });
const metrics = new Metrics({ namespace: 'Nerve', serviceName: 'nerve-search' });
const store = { client: DynamoDBDocumentClient.from(new DynamoDBClient({})), table: readEnv(ENV.indexTable) };
const model = await loadModel(readEnv(ENV.model, 'small'), { intraOpThreads: readIntEnv(ENV.intraOpThreads, 1) });
const knownTypes = [...new Set(model.labels.filter((l) => l !== 'O').map((l) => l.slice(2)))];
// Without a configured secret, cursors are valid for this execution environment only.
const cursorSecret = process.env[ENV.cursorSecret] || randomBytes(32).toString('hex');

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const started = performance.now();
  try {
    const body = parseJsonObject(event, { maxBodyBytes: MAX_QUERY_CHARS * 6 + 4096, tooLargeHint: `Queries are limited to ${MAX_QUERY_CHARS} characters.` });
    const request = readSearchRequest(body, { knownTypes, cursorSecret });
    const { requests, nextOffset, ...response } = await search(store, model, request);
    metrics.addMetric('latency', MetricUnit.Milliseconds, performance.now() - started);
    metrics.addMetric('dynamodbRequests', MetricUnit.Count, requests);
    logger.info('search', { queryEntities: response.queryEntities.length, results: response.results.length, requests });
    return json(200, { ...response, ...(nextOffset !== undefined ? { nextCursor: encodeCursor(nextOffset, request.query, cursorSecret) } : {}) });
  } catch (e) {
    const err = toHttpError(e);
    if (err.status >= 500) logger.error('search failed', e as Error);
    return errorResponse(err);
  } finally {
    metrics.publishStoredMetrics();
  }
}
