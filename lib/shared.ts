/** Settings every Nerve function shares, so the constructs cannot disagree on them. */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoPath = (p: string) => join(repoRoot, p);

/** x86_64 only: onnxruntime-node crashes at start-up on arm64 Lambda. */
export const LAMBDA_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.X86_64,
} as const;

/** esbuild, as ESM (top-level await loads the model at init); the native addon comes from the layer. */
export function nodeBundling(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    mainFields: ['module', 'main'],
    externalModules: ['onnxruntime-node', '@aws-sdk/*'],
    // Bundled CommonJS dependencies still call require(); give ESM one.
    banner: "import { createRequire as __nerveCreateRequire } from 'module'; const require = __nerveCreateRequire(import.meta.url);",
  };
}

/** Where esbuild resolves from: the repository, with its lock file. */
export const PROJECT = { depsLockFilePath: join(repoRoot, 'package-lock.json'), projectRoot: repoRoot } as const;
