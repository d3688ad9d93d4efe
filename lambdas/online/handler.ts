/**
 * Lambda entry for POST /v1/entities. The model and the ONNX session load once per
 * execution environment, at init (top-level await), so provisioned concurrency pays
 * for them before any request does.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ENV, readEnv, readIntEnv } from '../shared/env.js';
import { loadModel } from '../engine/load.js';
import { errorResponse, json, parseJsonObject } from '../http/request.js';
import { extractEntities, readEntitiesRequest } from './entities.js';
import { toHttpError } from '../http/errors.js';

const logger = new Logger({ serviceName: 'nerve-online' });
const metrics = new Metrics({ namespace: 'Nerve', serviceName: 'nerve-online' });

const maxTextChars = readIntEnv(ENV.maxTextChars, 10_000);
// JSON escapes can make a body up to 6 bytes per character (\uXXXX); leave room for them.
const maxBodyBytes = maxTextChars * 6 + 1024;
const logText = readEnv(ENV.logText, 'false') === 'true';

const loadStarted = performance.now();
const tagger = await loadModel(readEnv(ENV.model, 'small'), { intraOpThreads: readIntEnv(ENV.intraOpThreads, 1) });
logger.info('model loaded', { model: tagger.model, loadMs: Math.round(performance.now() - loadStarted) });
metrics.setDefaultDimensions({ modelVersion: `${tagger.model.name}@${tagger.model.version}` });

const TOO_LARGE_HINT = 'For long documents use the batch path: drop the file into the documents bucket (or run `nerve ingest FILE`).';

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const started = performance.now();
  metrics.captureColdStartMetric();
  logger.addContext(context ?? ({} as Context));
  try {
    const body = parseJsonObject(event, { maxBodyBytes, tooLargeHint: TOO_LARGE_HINT });
    const request = readEntitiesRequest(body, maxTextChars);
    const response = await extractEntities(tagger, request);
    const latencyMs = performance.now() - started;
    metrics.addMetric('latency', MetricUnit.Milliseconds, latencyMs);
    metrics.addMetric('entities', MetricUnit.Count, response.entities.length);
    logger.info('entities extracted', {
      latencyMs: Number(latencyMs.toFixed(3)),
      entities: response.entities.length,
      textLength: request.text.length,
      ...(logText ? { text: request.text } : {}),
    });
    return json(200, response);
  } catch (e) {
    const err = toHttpError(e);
    if (err.status >= 500) logger.error('request failed', e as Error);
    else logger.info('request refused', { status: err.status, code: err.code });
    metrics.addMetric(err.status >= 500 ? 'serverErrors' : 'clientErrors', MetricUnit.Count, 1);
    return errorResponse(err);
  } finally {
    metrics.publishStoredMetrics();
  }
}
