/**
 * Lambda entry for POST /v1/search: the small model on the query, read-only access to
 * the entity index. The model and the cursor secret load once per execution environment.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadModel } from '../engine/load.js';
import { entityTypesOf } from '../engine/tags.js';
import { httpHandler, serviceTools } from '../http/handler.js';
import { parseJsonObject } from '../http/request.js';
import { QUERY_MODEL_THREADS, SERVICES } from '../shared/contract.js';
import { ENV, readEnv, readIntEnv } from '../shared/env.js';
import { encodeCursor, MAX_QUERY_CHARS, readSearchRequest, resolveCursorSecret } from './request.js';
import { wordIndexFromEnv } from '../words/words.js';
import { search } from './search.js';

const tools = serviceTools(SERVICES.search);
const store = { client: DynamoDBDocumentClient.from(tools.tracing.client(new DynamoDBClient({}))), table: readEnv(ENV.indexTable), words: wordIndexFromEnv() };
const model = await loadModel(readEnv(ENV.model, 'small'), { intraOpThreads: readIntEnv(ENV.intraOpThreads, QUERY_MODEL_THREADS.intraOpThreads) });
const knownTypes = entityTypesOf(model.labels);
// One secret for every instance (the stack's), so that a nextCursor works on any of them.
const cursorSecret = await resolveCursorSecret(
  { secret: process.env[ENV.cursorSecret], secretArn: process.env[ENV.cursorSecretArn] },
  {
    fetchSecret: async (arn) => (await tools.tracing.client(new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: arn }))).SecretString,
    warn: (message) => tools.logger.warn(message),
  },
);
const limits = { maxBodyBytes: MAX_QUERY_CHARS * 6 + 4096, tooLargeHint: `Queries are limited to ${MAX_QUERY_CHARS} characters.` };

export const handler = httpHandler(tools, async (event, { logger, metrics }) => {
  const request = readSearchRequest(parseJsonObject(event, limits), { knownTypes, cursorSecret });
  const { requests, nextOffset, wordsUnavailable, ...response } = await search(store, model, request);
  metrics.addMetric('dynamodbRequests', MetricUnit.Count, requests);
  if (wordsUnavailable) {
    metrics.addMetric('wordIndexUnavailable', MetricUnit.Count, 1);
    logger.warn('the word index did not answer: results from the entity index alone');
  }
  logger.info('search', { queryEntities: response.queryEntities.length, results: response.results.length, requests });
  return { ...response, ...(nextOffset !== undefined ? { nextCursor: encodeCursor(nextOffset, request, cursorSecret) } : {}) };
});
