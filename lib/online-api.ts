/**
 * The online path: an HTTP API whose POST /v1/entities runs the small model in a Lambda
 * function behind an alias ("live") with provisioned concurrency, scaled on utilization.
 */
import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env.js';
import { grantIndex } from './grants.js';
import { nerveFunction } from './shared.js';

/** Who may call the API. */
export type ApiAuth =
  | { readonly kind: 'iam' }
  | { readonly kind: 'jwt'; readonly issuer: string; readonly audience: string[] }
  /** No authorization: only accepted together with `allowOpenApi: true`. */
  | { readonly kind: 'none' };

export interface OnlineApiProps {
  /** The layer holding onnxruntime-node (linux-x64). */
  readonly onnxRuntimeLayer: lambda.ILayerVersion;
  /** The layer holding the models under /opt/models. */
  readonly modelsLayer: lambda.ILayerVersion;
  /** Model name under /opt/models. @default 'small' */
  readonly model?: string;
  /** @default { kind: 'iam' } */
  readonly auth?: ApiAuth;
  /** Must be true for `auth: { kind: 'none' }`: an open API is never an accident. @default false */
  readonly allowOpenApi?: boolean;
  /** Steady-state request rate per second across the stage. @default 100 */
  readonly throttleRateLimit?: number;
  /** Burst capacity of the stage. @default 200 */
  readonly throttleBurstLimit?: number;
  /** CORS for browser clients. @default - no CORS (same-origin or server-side clients only) */
  readonly cors?: apigw.CorsPreflightOptions;
  /** Largest `text`, in characters, before a 413 points the caller to the batch path. @default 10000 */
  readonly maxTextChars?: number;
  /** Provisioned concurrency on the `live` alias, also the scaling minimum. @default 1 */
  readonly provisionedConcurrency?: number;
  /** Most provisioned concurrency auto scaling may set. @default 10 */
  readonly maxProvisionedConcurrency?: number;
  /** Provisioned-concurrency utilization that auto scaling tracks. @default 0.7 */
  readonly utilizationTarget?: number;
  /** Memory in MB; 1,769 MB is one full vCPU. @default 1769 */
  readonly memorySize?: number;
  /** Log the request text (for debugging only). @default false */
  readonly logText?: boolean;
  /** The entity index: adds GET /v1/documents/{documentId} with read-only access. @default - no documents route */
  readonly index?: dynamodb.ITableV2;
}

const DEFAULTS = {
  model: 'small',
  auth: { kind: 'iam' } as ApiAuth,
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  maxTextChars: 10_000,
  provisionedConcurrency: 1,
  maxProvisionedConcurrency: 10,
  utilizationTarget: 0.7,
  memorySize: 1769,
} as const;

function validate(p: OnlineApiProps): string[] {
  const problems: string[] = [];
  const auth = p.auth ?? DEFAULTS.auth;
  if (auth.kind === 'none' && !p.allowOpenApi) problems.push('auth "none" makes the API open to anyone: set allowOpenApi (context nerve:allowOpenApi=true) to confirm');
  if (auth.kind === 'jwt' && (!auth.issuer || auth.audience.length === 0)) problems.push('a JWT authorizer needs an issuer and at least one audience');
  const min = p.provisionedConcurrency ?? DEFAULTS.provisionedConcurrency;
  const max = p.maxProvisionedConcurrency ?? DEFAULTS.maxProvisionedConcurrency;
  if (!Number.isInteger(min) || min < 1) problems.push(`provisionedConcurrency must be an integer ≥ 1, got ${min}`);
  if (!Number.isInteger(max) || max < min) problems.push(`maxProvisionedConcurrency must be an integer ≥ provisionedConcurrency (${min}), got ${max}`);
  const target = p.utilizationTarget ?? DEFAULTS.utilizationTarget;
  if (!(target > 0 && target < 1)) problems.push(`utilizationTarget must be between 0 and 1, got ${target}`);
  const rate = p.throttleRateLimit ?? DEFAULTS.throttleRateLimit;
  const burst = p.throttleBurstLimit ?? DEFAULTS.throttleBurstLimit;
  if (!(rate > 0) || !Number.isInteger(burst) || burst < 1) problems.push(`throttling needs a positive rate and burst, got ${rate}/${burst}`);
  return problems;
}

export class OnlineApi extends Construct {
  public readonly api: apigw.HttpApi;
  public readonly function: lambda.IFunction;
  public readonly liveAlias: lambda.Alias;
  public readonly url: string;
  /** Serves GET /v1/documents/{documentId}; created only with `index`. */
  public readonly documentsFunction?: lambda.IFunction;
  /** Serves POST /v1/search; created only with `index`. */
  public readonly searchFunction?: lambda.IFunction;

  constructor(scope: Construct, id: string, props: OnlineApiProps) {
    super(scope, id);
    const problems = validate(props);
    if (problems.length > 0) throw new Error(`OnlineApi ${id}: ${problems.join('; ')}`);
    const auth = props.auth ?? DEFAULTS.auth;

    const { fn } = nerveFunction(this, 'Function', {
      entry: 'lambdas/online/handler.ts',
      description: 'Nerve online NER: POST /v1/entities',
      memorySize: props.memorySize ?? DEFAULTS.memorySize,
      timeout: Duration.seconds(10),
      layers: [props.onnxRuntimeLayer, props.modelsLayer],
      environment: {
        [ENV.model]: props.model ?? DEFAULTS.model,
        [ENV.modelsDir]: '/opt/models',
        [ENV.maxTextChars]: String(props.maxTextChars ?? DEFAULTS.maxTextChars),
        [ENV.logText]: String(props.logText ?? false),
        [ENV.intraOpThreads]: '1',
        POWERTOOLS_SERVICE_NAME: 'nerve-online',
        POWERTOOLS_METRICS_NAMESPACE: 'Nerve',
      },
    });
    this.function = fn;

    this.liveAlias = new lambda.Alias(this, 'Live', {
      aliasName: 'live',
      version: fn.currentVersion,
      provisionedConcurrentExecutions: props.provisionedConcurrency ?? DEFAULTS.provisionedConcurrency,
    });
    this.liveAlias
      .addAutoScaling({
        minCapacity: props.provisionedConcurrency ?? DEFAULTS.provisionedConcurrency,
        maxCapacity: props.maxProvisionedConcurrency ?? DEFAULTS.maxProvisionedConcurrency,
      })
      .scaleOnUtilization({ utilizationTarget: props.utilizationTarget ?? DEFAULTS.utilizationTarget });

    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Nerve: named-entity recognition',
      createDefaultStage: false,
      corsPreflight: props.cors,
      defaultAuthorizer: authorizer(auth),
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRateLimit ?? DEFAULTS.throttleRateLimit,
        burstLimit: props.throttleBurstLimit ?? DEFAULTS.throttleBurstLimit,
      },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    this.api.addRoutes({
      path: '/v1/entities',
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Entities', this.liveAlias),
    });
    if (props.index) {
      const documents = readOnlyFunction(this, 'Documents', 'lambdas/documents/handler.ts', props.index, 'Nerve: GET /v1/documents/{documentId}');
      this.api.addRoutes({ path: '/v1/documents/{documentId}', methods: [apigw.HttpMethod.GET], integration: new HttpLambdaIntegration('Documents', documents) });
      this.documentsFunction = documents;
      // Search runs the small model on the query: the same layers and model as the online function.
      const search = readOnlyFunction(this, 'Search', 'lambdas/search/handler.ts', props.index, 'Nerve: POST /v1/search', {
        memorySize: props.memorySize ?? DEFAULTS.memorySize,
        layers: [props.onnxRuntimeLayer, props.modelsLayer],
        environment: { [ENV.model]: props.model ?? DEFAULTS.model, [ENV.modelsDir]: '/opt/models', [ENV.intraOpThreads]: '1' },
      });
      this.api.addRoutes({ path: '/v1/search', methods: [apigw.HttpMethod.POST], integration: new HttpLambdaIntegration('Search', search) });
      this.searchFunction = search;
    }
    if (auth.kind === 'none') {
      Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'The deployer opened the API on purpose (context nerve:allowOpenApi=true).' });
    }
    this.url = stage.url;
    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the Nerve HTTP API' });
  }
}

/** A function that reads the entity index and nothing else. */
function readOnlyFunction(
  scope: Construct,
  id: string,
  entry: string,
  table: dynamodb.ITableV2,
  description: string,
  extra: { memorySize?: number; layers?: lambda.ILayerVersion[]; environment?: Record<string, string> } = {},
): lambda.Function {
  const { fn, role } = nerveFunction(scope, id, {
    entry,
    description,
    memorySize: extra.memorySize ?? 512,
    timeout: Duration.seconds(10),
    layers: extra.layers,
    environment: { [ENV.indexTable]: table.tableName, POWERTOOLS_SERVICE_NAME: `nerve-${id.toLowerCase()}`, ...extra.environment },
  });
  grantIndex(role, table, 'read');
  return fn;
}

function authorizer(auth: ApiAuth): apigw.IHttpRouteAuthorizer | undefined {
  switch (auth.kind) {
    case 'iam':
      return new HttpIamAuthorizer();
    case 'jwt':
      return new HttpJwtAuthorizer('Jwt', auth.issuer, { jwtAudience: auth.audience });
    case 'none':
      return undefined;
  }
}
