/**
 * The query side of the HTTP API: POST /v1/search (the online model on the query, then
 * the entity index) and GET /v1/documents/{documentId}. Both functions only read the
 * index. The routes join an existing HttpApi (OnlineApi's) and inherit its default
 * authorizer, so one auth setting covers every route. Search cursors are signed with one
 * generated secret (Secrets Manager) that every search instance reads, so a nextCursor
 * from one instance is valid on any other.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICES } from '../lambdas/shared/contract.js';
import { ENV } from '../lambdas/shared/env.js';
import { ConfigError } from '../lambdas/shared/errors.js';
import { withDefaults } from './defaults.js';
import { grantIndex } from './grants.js';
import type { ModelCode } from './model-code.js';
import { memoryProblems, nerveFunction, queryModelEnvironment, type NerveFunctionProps } from './lambda-function.js';
import { ONLINE_API_DEFAULTS } from './online-api.js';
import type { WordSearch } from './word-search.js';

export interface QueryApiProps {
  /** The API the routes join; they use its default authorizer. */
  readonly api: apigw.HttpApi;
  /** The entity index, read only. */
  readonly table: dynamodb.ITableV2;
  /** onnxruntime-node, tokenizers where needed and the query model under LAMBDA_MODELS_DIR: layers, or a container image (lib/model-code.ts). */
  readonly modelCode: ModelCode;
  /** The model search runs on the query. @default the online API's ('small'): queries and online texts are tagged alike */
  readonly model?: string;
  /** Memory of the search function in MB. @default the online function's (1769, one vCPU): it runs the same model */
  readonly memorySize?: number;
  /** Memory of the documents function in MB (it runs no model, it only reads the index). @default 512 */
  readonly documentsMemorySize?: number;
  /** The full-text engine search queries for documents' words (lib/word-search.ts), read only. @default - none: words are matched through DynamoDB terms only */
  readonly words?: WordSearch;
}

export const QUERY_API_DEFAULTS = {
  model: ONLINE_API_DEFAULTS.model,
  memorySize: ONLINE_API_DEFAULTS.memorySize,
  documentsMemorySize: 512,
  /** No prop: like the online function, a caller is waiting. */
  timeout: ONLINE_API_DEFAULTS.timeout,
  /** No prop: characters of the generated cursor secret (letters and digits). */
  cursorSecretLength: 64,
} as const;

export class QueryApi extends Construct {
  /** Serves POST /v1/search. */
  public readonly searchFunction: lambda.IFunction;
  /** Serves GET /v1/documents/{documentId}. */
  public readonly documentsFunction: lambda.IFunction;
  /** Signs search cursors; only the search function reads it. */
  public readonly cursorSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const s = withDefaults(props, QUERY_API_DEFAULTS);
    const problems = [...memoryProblems('memorySize', s.memorySize), ...memoryProblems('documentsMemorySize', s.documentsMemorySize)];
    if (problems.length > 0) throw new ConfigError(`QueryApi ${id}: ${problems.join('; ')}`, { construct: id, problems });

    const { fn: documents } = readOnlyFunction(this, 'Documents', s.table, {
      entry: 'lambdas/documents/handler.ts',
      description: 'Nerve: GET /v1/documents/{documentId}',
      memorySize: s.documentsMemorySize,
      timeout: s.timeout,
      environment: { POWERTOOLS_SERVICE_NAME: SERVICES.documents },
    });
    props.api.addRoutes({ path: '/v1/documents/{documentId}', methods: [apigw.HttpMethod.GET], integration: new HttpLambdaIntegration('Documents', documents) });
    this.documentsFunction = documents;

    const cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      description: 'Nerve: signs search cursors (nextCursor)',
      generateSecretString: { excludePunctuation: true, passwordLength: s.cursorSecretLength },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The secret only signs search cursors, which expire within an hour; rotating it would only invalidate open cursors. Replace it (or set NERVE_CURSOR_SECRET) to revoke them all.',
    });
    this.cursorSecret = cursorSecret;

    const { fn: search, role: searchRole } = readOnlyFunction(this, 'Search', s.table, {
      entry: 'lambdas/search/handler.ts',
      description: 'Nerve: POST /v1/search',
      memorySize: s.memorySize,
      timeout: s.timeout,
      modelCode: props.modelCode,
      environment: { POWERTOOLS_SERVICE_NAME: SERVICES.search, ...queryModelEnvironment(s.model), [ENV.cursorSecretArn]: cursorSecret.secretArn, ...props.words?.environment },
    });
    cursorSecret.grantRead(searchRole);
    props.words?.grantRead(searchRole);
    props.api.addRoutes({ path: '/v1/search', methods: [apigw.HttpMethod.POST], integration: new HttpLambdaIntegration('Search', search) });
    this.searchFunction = search;
  }
}

/** A function that reads the entity index (the table and its rank index), and its role for any further grant. */
function readOnlyFunction(scope: Construct, id: string, table: dynamodb.ITableV2, props: NerveFunctionProps): { fn: lambda.IFunction; role: iam.Role } {
  const { fn, role } = nerveFunction(scope, id, { ...props, environment: { [ENV.indexTable]: table.tableName, ...props.environment } });
  grantIndex(role, table, 'read');
  return { fn, role };
}
