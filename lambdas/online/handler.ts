/**
 * Lambda entry for POST /v1/entities. The model and the ONNX session load once per
 * execution environment, at init (top-level await), so provisioned concurrency pays
 * for them before any request does.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadModel } from '../engine/load.js';
import { entityTypesOf } from '../engine/tags.js';
import { httpHandler, serviceTools } from '../http/handler.js';
import { bodyBytes, checkBodySize, parseJsonObject } from '../http/request.js';
import { QUERY_MODEL_THREADS, SERVICES } from '../shared/contract.js';
import { ENV, readEnv, readIntEnv } from '../shared/env.js';
import { entitiesBodyLimits, entitiesSummary, extractEntities, readEntitiesRequest } from './entities.js';

const tools = serviceTools(SERVICES.online);
const maxTextChars = readIntEnv(ENV.maxTextChars, 10_000);
const bodyLimits = entitiesBodyLimits(maxTextChars);
const logText = readEnv(ENV.logText, 'false') === 'true';

const loadStarted = performance.now();
const model = await loadModel(readEnv(ENV.model, 'small'), { intraOpThreads: readIntEnv(ENV.intraOpThreads, QUERY_MODEL_THREADS.intraOpThreads) });
tools.logger.info('model loaded', { model: model.model, loadMs: Math.round(performance.now() - loadStarted) });
tools.metrics.setDefaultDimensions({ modelVersion: `${model.model.name}@${model.model.version}` });
const limits = { maxTextChars, knownTypes: entityTypesOf(model.labels) };

export const handler = httpHandler(tools, async (event, { logger, metrics }) => {
  const started = performance.now();
  const body = parseJsonObject(event, bodyLimits.batch);
  if (body.texts === undefined) checkBodySize(bodyBytes(event), bodyLimits.single);
  const request = readEntitiesRequest(body, limits);
  const response = await extractEntities(model, request);
  const summary = entitiesSummary(request, response);
  metrics.addMetric('entities', MetricUnit.Count, summary.entities);
  logger.info('entities extracted', {
    latencyMs: Number((performance.now() - started).toFixed(3)),
    ...summary,
    ...(logText ? { text: 'text' in request ? request.text : request.texts } : {}),
  });
  return response;
});
