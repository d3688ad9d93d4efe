/**
 * The CDK app. Context values (cdk.json or `-c key=value`):
 *   nerve:stage           a stage (dev, prod…): the stack is then Nerve-<stage>, tagged nerve:stage=<stage>;
 *                         stages live side by side in one account (no resource has a fixed name)
 *   nerve:stackName       the stack's name outright (default Nerve, or Nerve-<stage>)
 *   nerve:alarmTopicArn   an SNS topic that every alarm notifies (default: none; alarms show on the dashboard)
 *   nerve:auth            iam (default) | jwt | none
 *   nerve:jwtIssuer, nerve:jwtAudience (comma-separated)   for auth=jwt
 *   nerve:allowOpenApi    true to accept auth=none
 *   nerve:provisionedConcurrency, nerve:maxProvisionedConcurrency, nerve:throttleRate, nerve:throttleBurst
 *   nerve:corsOrigins     comma-separated origins allowed to call the API from a browser (SigV4 headers allowed)
 *   nerve:model           the online (and search) model's name (default small)
 *   nerve:modelsDir       a folder of model folders to ship instead of the repository's models/, anywhere;
 *                         it needs only the models the stack runs (only the files they load are shipped)
 *   nerve:batchModel      the batch model's name (default ensemble)
 *   nerve:batchConcurrency  most concurrent batch invocations (default 10)
 *   nerve:gpuWorkers      false to leave the GPU workers (and their queue) out: the batch function then
 *                         processes large files too; nerve:maxGpuWorkers (default 4)
 *   nerve:gpuCapacity     on-demand (default) | spot: the GPU workers' ECS Managed Instances
 *   nerve:wordSearch      opensearch (default) | none: the full-text engine for documents' words, an OpenSearch
 *                         Serverless collection (a running cost floor); none leaves it out (words through DynamoDB terms);
 *                         nerve:wordSearchStandby false for no standby replicas (development stages)
 * An unset value takes the construct's default (its *_DEFAULTS in lib/), as quoted here.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { CorsHttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/shared/errors.js';
import { GPU_CAPACITIES, type GpuCapacity } from '../lib/gpu-workers.js';
import { NerveStack } from '../lib/nerve-stack.js';
import { ONLINE_API_DEFAULTS, type ApiAuth } from '../lib/online-api.js';
import type { WordSearchProps } from '../lib/word-search.js';

/** Feature flags the constructs rely on, also when an app is built outside the CDK CLI (tests). */
export const FEATURE_FLAGS = { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } as const;

const STAGE = /^[A-Za-z0-9-]{1,32}$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** Request headers a browser may send with nerve:corsOrigins: JSON, a bearer token (jwt) and SigV4's signed headers (iam). */
export const CORS_ALLOW_HEADERS = ['content-type', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'] as const;

/** The values of nerve:wordSearch: OpenSearch Serverless, or no full-text engine (the entity index's terms). */
export const WORD_SEARCH_ENGINES = ['opensearch', 'none'] as const;

function wordSearch(engine: string | undefined, standby: string | undefined): WordSearchProps | false {
  if (engine !== undefined && !(WORD_SEARCH_ENGINES as readonly string[]).includes(engine)) throw new ConfigError(`context nerve:wordSearch must be ${WORD_SEARCH_ENGINES.join(' or ')}, got "${engine}"`);
  if (standby !== undefined && standby !== 'true' && standby !== 'false') throw new ConfigError(`context nerve:wordSearchStandby must be true or false, got "${standby}"`);
  if (engine === 'none') return false;
  return { standbyReplicas: standby === undefined ? undefined : standby === 'true' };
}

function gpuCapacity(value: string | undefined): GpuCapacity | undefined {
  if (value === undefined || (GPU_CAPACITIES as readonly string[]).includes(value)) return value as GpuCapacity | undefined;
  throw new ConfigError(`context nerve:gpuCapacity must be ${GPU_CAPACITIES.join(' or ')}, got "${value}"`);
}

export function createApp(context: Record<string, unknown> = {}): { app: App; stack: NerveStack } {
  const app = new App({ context: { ...FEATURE_FLAGS, ...context } });
  const ctx = (key: string): string | undefined => {
    const v = app.node.tryGetContext(`nerve:${key}`);
    return v === undefined || v === null ? undefined : String(v);
  };
  const num = (key: string) => (ctx(key) === undefined ? undefined : Number(ctx(key)));
  const list = (key: string) => ctx(key)?.split(',').map((s) => s.trim()).filter(Boolean);

  const authKind = ctx('auth') ?? ONLINE_API_DEFAULTS.auth.kind;
  let auth: ApiAuth;
  if (authKind === 'iam' || authKind === 'none') auth = { kind: authKind };
  else if (authKind === 'jwt') auth = { kind: 'jwt', issuer: ctx('jwtIssuer') ?? '', audience: list('jwtAudience') ?? [] };
  else throw new ConfigError(`context nerve:auth must be iam, jwt or none, got "${authKind}"`);
  const origins = list('corsOrigins');
  const stage = ctx('stage');
  if (stage !== undefined && !STAGE.test(stage)) throw new ConfigError(`context nerve:stage must be 1 to 32 letters, digits or hyphens, got "${stage}"`);
  const stackName = ctx('stackName') ?? (stage ? `Nerve-${stage}` : 'Nerve');
  if (!STACK_NAME.test(stackName)) throw new ConfigError(`the stack name must start with a letter and hold up to 128 letters, digits or hyphens (CloudFormation's rule), got "${stackName}"`);

  // The construct id stays "Nerve" whatever the stack's name, so that the assembly's files keep theirs.
  const stack = new NerveStack(app, 'Nerve', {
    stackName,
    alarmTopicArn: ctx('alarmTopicArn'),
    modelsDir: ctx('modelsDir'),
    ingest: { model: ctx('batchModel'), maxConcurrency: num('batchConcurrency') },
    gpuWorkers: ctx('gpuWorkers') === 'false' ? false : { maxWorkers: num('maxGpuWorkers'), capacity: gpuCapacity(ctx('gpuCapacity')) },
    wordSearch: wordSearch(ctx('wordSearch'), ctx('wordSearchStandby')),
    online: {
      model: ctx('model'),
      auth,
      allowOpenApi: ctx('allowOpenApi') === 'true',
      provisionedConcurrency: num('provisionedConcurrency'),
      maxProvisionedConcurrency: num('maxProvisionedConcurrency'),
      throttleRateLimit: num('throttleRate'),
      throttleBurstLimit: num('throttleBurst'),
      cors: origins ? { allowOrigins: origins, allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST], allowHeaders: [...CORS_ALLOW_HEADERS] } : undefined,
    },
  });
  if (stage) Tags.of(stack).add('nerve:stage', stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  createApp().app.synth();
}
