/**
 * The online path: an HTTP API whose POST /v1/entities runs the small model in a Lambda
 * function behind an alias ("live") with provisioned concurrency, scaled on utilization.
 * The API is the one every route joins (QueryApi adds search and documents), so its
 * authorizer, throttling and access logs cover them all.
 */
import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICES } from '../lambdas/shared/contract.js';
import { ENV } from '../lambdas/shared/env.js';
import { ConfigError } from '../lambdas/shared/errors.js';
import { withDefaults, type Settings } from './defaults.js';
import type { ModelCode } from './model-code.js';
import { memoryProblems, nerveFunction, queryModelEnvironment } from './lambda-function.js';

/** Who may call the API. */
export type ApiAuth =
  | { readonly kind: 'iam' }
  | { readonly kind: 'jwt'; readonly issuer: string; readonly audience: string[] }
  /** No authorization: only accepted together with `allowOpenApi: true`. */
  | { readonly kind: 'none' };

export interface OnlineApiProps {
  /** onnxruntime-node, tokenizers where needed and the model under LAMBDA_MODELS_DIR: layers, or a container image (lib/model-code.ts). */
  readonly modelCode: ModelCode;
  /** Model name under LAMBDA_MODELS_DIR. @default 'small' */
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
}

export const ONLINE_API_DEFAULTS = {
  model: 'small',
  auth: { kind: 'iam' } as ApiAuth,
  allowOpenApi: false,
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  maxTextChars: 10_000,
  provisionedConcurrency: 1,
  maxProvisionedConcurrency: 10,
  utilizationTarget: 0.7,
  memorySize: 1769,
  logText: false,
  /** No prop: a person waits on every call, and a request that takes longer has failed anyway. */
  timeout: Duration.seconds(10),
} as const;

/** Every problem with the settings, so that one synth reports them all. */
function problemsOf(s: Settings<OnlineApiProps, typeof ONLINE_API_DEFAULTS>): string[] {
  const problems: string[] = [];
  if (s.auth.kind === 'none' && !s.allowOpenApi) problems.push('auth "none" makes the API open to anyone: set allowOpenApi (context nerve:allowOpenApi=true) to confirm');
  if (s.auth.kind === 'jwt' && (!s.auth.issuer || s.auth.audience.length === 0)) problems.push('a JWT authorizer needs an issuer and at least one audience');
  const min = s.provisionedConcurrency;
  const max = s.maxProvisionedConcurrency;
  if (!Number.isInteger(min) || min < 1) problems.push(`provisionedConcurrency must be an integer ≥ 1, got ${min}`);
  if (!Number.isInteger(max) || max < min) problems.push(`maxProvisionedConcurrency must be an integer ≥ provisionedConcurrency (${min}), got ${max}`);
  if (!(s.utilizationTarget > 0 && s.utilizationTarget < 1)) problems.push(`utilizationTarget must be between 0 and 1, got ${s.utilizationTarget}`);
  const { throttleRateLimit: rate, throttleBurstLimit: burst } = s;
  if (!(rate > 0) || !Number.isInteger(burst) || burst < 1) problems.push(`throttling needs a positive rate and burst, got ${rate}/${burst}`);
  problems.push(...memoryProblems('memorySize', s.memorySize));
  return problems;
}

export class OnlineApi extends Construct {
  /** The HTTP API; other constructs add their routes to it (they inherit its authorizer). */
  public readonly api: apigw.HttpApi;
  public readonly function: lambda.IFunction;
  public readonly liveAlias: lambda.Alias;
  public readonly url: string;

  constructor(scope: Construct, id: string, props: OnlineApiProps) {
    super(scope, id);
    const s = withDefaults(props, ONLINE_API_DEFAULTS);
    const problems = problemsOf(s);
    if (problems.length > 0) throw new ConfigError(`OnlineApi ${id}: ${problems.join('; ')}`, { construct: id, problems });

    const { fn } = nerveFunction(this, 'Function', {
      entry: 'lambdas/online/handler.ts',
      description: 'Nerve online NER: POST /v1/entities',
      memorySize: s.memorySize,
      timeout: s.timeout,
      modelCode: props.modelCode,
      environment: {
        ...queryModelEnvironment(s.model),
        [ENV.maxTextChars]: String(s.maxTextChars),
        [ENV.logText]: String(s.logText),
        POWERTOOLS_SERVICE_NAME: SERVICES.online,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.function = fn;

    this.liveAlias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: fn.currentVersion, provisionedConcurrentExecutions: s.provisionedConcurrency });
    this.liveAlias
      .addAutoScaling({ minCapacity: s.provisionedConcurrency, maxCapacity: s.maxProvisionedConcurrency })
      .scaleOnUtilization({ utilizationTarget: s.utilizationTarget });

    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Nerve: named-entity recognition',
      createDefaultStage: false,
      corsPreflight: props.cors,
      defaultAuthorizer: authorizer(s.auth),
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: s.throttleRateLimit, burstLimit: s.throttleBurstLimit },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    // The alias, not $LATEST: requests reach the provisioned (warm) environments.
    this.api.addRoutes({ path: '/v1/entities', methods: [apigw.HttpMethod.POST], integration: new HttpLambdaIntegration('Entities', this.liveAlias) });
    if (s.auth.kind === 'none') {
      Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'The deployer opened the API on purpose (context nerve:allowOpenApi=true).' });
    }
    this.url = stage.url;
    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the Nerve HTTP API' });
  }
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
