/** Lambda entry for GET /v1/documents/{documentId}: read-only access to the entity index. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { httpHandler, serviceTools } from '../http/handler.js';
import { SERVICES } from '../shared/contract.js';
import { ENV, readEnv } from '../shared/env.js';
import { documentView } from './view.js';

const tools = serviceTools(SERVICES.documents);
const store = { client: DynamoDBDocumentClient.from(tools.tracing.client(new DynamoDBClient({}))), table: readEnv(ENV.indexTable) };

export const handler = httpHandler(tools, (event) => documentView(store, event.pathParameters?.documentId, event.queryStringParameters ?? {}));
