/** Lambda entry for GET /v1/documents/{documentId}: read-only access to the entity index. */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toHttpError } from '../http/errors.js';
import { errorResponse, json } from '../http/request.js';
import { ENV, readEnv } from '../shared/env.js';
import { documentView } from './view.js';

const logger = new Logger({ serviceName: 'nerve-documents' });
const store = { client: DynamoDBDocumentClient.from(new DynamoDBClient({})), table: readEnv(ENV.indexTable) };

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return json(200, await documentView(store, event.pathParameters?.documentId));
  } catch (e) {
    const err = toHttpError(e);
    if (err.status >= 500) logger.error('request failed', e as Error);
    return errorResponse(err);
  }
}
