/**
 * Lambda entry for POST /v1/entities. The model and the ONNX session load once per
 * execution environment, at init (top-level await), so provisioned concurrency pays
 * for them before any request does.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadModel } from '../engine/load.js';
import { httpHandler, serviceTools } from '../http/handler.js';
import { parseJsonObject } from '../http/request.js';
import { USE_BATCH_PATH_HINT } from '../http/errors.js';
import { QUERY_MODEL_THREADS, SERVICES } from '../shared/contract.js';
import { ENV, readEnv, readIntEnv } from '../shared/env.js';
import { extractEntities, readEntitiesRequest } from './entities.js';

const tools = serviceTools(SERVICES.online);
const maxTextChars = readIntEnv(ENV.maxTextChars, 10_000);
// JSON escapes can make a body up to 6 bytes per character (\uXXXX); leave room for them.
const maxBodyBytes = maxTextChars * 6 + 1024;
const logText = readEnv(ENV.logText, 'false') === 'true';

const loadStarted = performance.now();
const model = await loadModel(readEnv(ENV.model, 'small'), { intraOpThreads: readIntEnv(ENV.intraOpThreads, QUERY_MODEL_THREADS.intraOpThreads) });
tools.logger.info('model loaded', { model: model.model, loadMs: Math.round(performance.now() - loadStarted) });
tools.metrics.setDefaultDimensions({ modelVersion: `${model.model.name}@${model.model.version}` });

export const handler = httpHandler(tools, async (event, { logger, metrics }) => {
  const started = performance.now();
  const request = readEntitiesRequest(parseJsonObject(event, { maxBodyBytes, tooLargeHint: USE_BATCH_PATH_HINT }), maxTextChars);
  const response = await extractEntities(model, request);
  metrics.addMetric('entities', MetricUnit.Count, response.entities.length);
  logger.info('entities extracted', {
    latencyMs: Number((performance.now() - started).toFixed(3)),
    entities: response.entities.length,
    textLength: request.text.length,
    ...(logText ? { text: request.text } : {}),
  });
  return response;
});
