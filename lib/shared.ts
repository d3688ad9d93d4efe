/** Settings every Nerve function shares, so the constructs cannot disagree on them. */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoPath = (p: string) => join(repoRoot, p);

/** x86_64 only: onnxruntime-node crashes at start-up on arm64 Lambda. */
export const LAMBDA_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.X86_64,
} as const;

/** Bundled CommonJS dependencies still call require(); give ESM one. */
const REQUIRE_BANNER = "import { createRequire as __nerveCreateRequire } from 'module'; const require = __nerveCreateRequire(import.meta.url);";
const EXTERNAL_MODULES = ['onnxruntime-node', '@aws-sdk/*'];

/**
 * esbuild, as ESM (top-level await loads the model at init); the native addon comes from
 * the layer. `modelWorker` also bundles the engine's worker thread (engine/parallel.ts)
 * beside the handler, where ParallelModel looks for it: one bundle cannot hold two
 * entries, and a worker thread needs its own file. The worker is CommonJS so that it
 * finds onnxruntime-node in the layer by NODE_PATH, which require() reads in any thread.
 */
export function nodeBundling({ modelWorker = false } = {}): BundlingOptions {
  const target = 'node22';
  return {
    format: OutputFormat.ESM,
    target,
    minify: true,
    sourceMap: true,
    mainFields: ['module', 'main'],
    externalModules: EXTERNAL_MODULES,
    banner: REQUIRE_BANNER,
    commandHooks: modelWorker
      ? {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            [
              `"${inputDir}/node_modules/.bin/esbuild"`,
              `"${inputDir}/lambdas/engine/parallel-worker.ts"`,
              // error: esbuild warns that import.meta is empty in CommonJS; the one use
              // (manifest.ts: the repository's models/) is never reached where NERVE_MODELS_DIR is set.
              '--bundle --platform=node --format=cjs --minify --sourcemap --log-level=error',
              `--target=${target}`,
              '--main-fields=module,main',
              ...EXTERNAL_MODULES.map((m) => `--external:${m}`),
              `"--outfile=${outputDir}/parallel-worker.cjs"`,
            ].join(' '),
          ],
        }
      : undefined,
  };
}

/** Where esbuild resolves from: the repository, with its lock file. */
export const PROJECT = { depsLockFilePath: join(repoRoot, 'package-lock.json'), projectRoot: repoRoot } as const;

export interface NerveFunctionProps {
  /** The handler's source, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly layers?: lambda.ILayerVersion[];
  readonly environment: Record<string, string>;
  /** Bundle the engine's worker thread too (the batch function's ParallelModel). */
  readonly modelWorker?: boolean;
}

/**
 * A Nerve Lambda function: its own role (which the caller grants to), its own log group
 * with a retention, the shared runtime, architecture and bundling. Creates `${id}`,
 * `${id}Role` and `${id}Logs` in `scope`.
 */
export function nerveFunction(scope: Construct, id: string, props: NerveFunctionProps): { fn: NodejsFunction; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, id, {
    ...LAMBDA_DEFAULTS,
    ...PROJECT,
    entry: repoPath(props.entry),
    description: props.description,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    layers: props.layers,
    bundling: nodeBundling({ modelWorker: props.modelWorker }),
    environment: props.environment,
  });
  // cdk-nag's L1 wants the newest runtime; Nerve pins the one its native addon is tested on.
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'Pinned to nodejs22.x: onnxruntime-node\'s native binding is built and tested against it (see DESIGN.md).',
  });
  return { fn, role };
}
