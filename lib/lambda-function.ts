/**
 * Settings every Nerve Lambda function shares (runtime, architecture, bundling, its own
 * role and log group), so the constructs cannot disagree on them. Not to be confused
 * with lambdas/shared/, the code the handlers share.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_MODELS_DIR, QUERY_MODEL_THREADS } from '../lambdas/shared/contract.js';
import { ENV } from '../lambdas/shared/env.js';
import { nodeBundling } from './bundling.js';
import { functionImageCode } from './function-image.js';
import type { ModelCode } from './model-code.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoPath = (p: string) => join(repoRoot, p);

/** x86_64 only: onnxruntime-node crashes at start-up on arm64 Lambda. */
export const LAMBDA_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.X86_64,
} as const;

/** How a function that tags queries (online, search) finds and runs its model from the models layer. */
export function queryModelEnvironment(model: string): Record<string, string> {
  return { [ENV.model]: model, [ENV.modelsDir]: LAMBDA_MODELS_DIR, [ENV.intraOpThreads]: String(QUERY_MODEL_THREADS.intraOpThreads) };
}

/** Lambda's range of memory sizes, in MB. */
const LAMBDA_MEMORY_MB = { min: 128, max: 10_240 } as const;

/** What is wrong with a memory size for a prop named `name`, if anything (for a construct's one error). */
export function memoryProblems(name: string, mb: number): string[] {
  const ok = Number.isInteger(mb) && mb >= LAMBDA_MEMORY_MB.min && mb <= LAMBDA_MEMORY_MB.max;
  return ok ? [] : [`${name} must be an integer from ${LAMBDA_MEMORY_MB.min} to ${LAMBDA_MEMORY_MB.max} MB, got ${mb}`];
}

/** Where esbuild resolves from: the repository, with its lock file. */
export const PROJECT = { depsLockFilePath: join(repoRoot, 'package-lock.json'), projectRoot: repoRoot } as const;

export interface NerveFunctionProps {
  /** The handler's source, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** What its model needs besides the bundle (model-code.ts): layers, or a container image. @default - nothing: a function that runs no model */
  readonly modelCode?: ModelCode;
  readonly environment: Record<string, string>;
  /** Bundle the engine's worker thread too (the batch function's ParallelModel). */
  readonly modelWorker?: boolean;
}

/**
 * A Nerve Lambda function: its own role (which the caller grants to), its own log group
 * with a retention, active X-Ray tracing (the handlers trace through Powertools Tracer:
 * lambdas/shared/tracing.ts), the shared runtime, architecture and bundling. Creates
 * `${id}`, `${id}Role` and `${id}Logs` in `scope`.
 */
export function nerveFunction(scope: Construct, id: string, props: NerveFunctionProps): { fn: lambda.Function; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  const common = {
    architecture: LAMBDA_DEFAULTS.architecture,
    description: props.description,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    environment: props.environment,
    tracing: lambda.Tracing.ACTIVE,
  };
  const code = props.modelCode;
  const fn =
    code?.kind === 'image'
      ? // Past Lambda's 250 MB unzipped: the same bundle and /opt folders in an image (function-image.ts).
        new lambda.DockerImageFunction(scope, id, { ...common, code: functionImageCode(scope, { repoRoot, entry: props.entry, modelWorker: props.modelWorker, opt: code.opt }) })
      : new NodejsFunction(scope, id, {
          ...common,
          ...PROJECT,
          runtime: LAMBDA_DEFAULTS.runtime,
          entry: repoPath(props.entry),
          layers: code?.layers ? [...code.layers] : undefined,
          bundling: nodeBundling({ modelWorker: props.modelWorker }),
        });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Active tracing: X-Ray\'s PutTraceSegments and PutTelemetryRecords have no resource-level permissions; the role grants nothing else on "*".',
  });
  // cdk-nag's L1 wants the newest runtime; Nerve pins the one its native addon is tested on.
  if (fn instanceof NodejsFunction) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x: onnxruntime-node\'s native binding is built and tested against it (see docs/architecture.md).',
    });
  }
  return { fn, role };
}
