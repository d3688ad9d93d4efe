import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { createApp, FEATURE_FLAGS } from '../../bin/app.js';
import { ConfigError } from '../../lambdas/shared/errors.js';
import { EntityIndex } from '../../lib/entity-index.js';
import type { ModelCode } from '../../lib/model-code.js';
import { fixtures } from './paths.js';

/** Context that skips esbuild (a NodejsFunction's code is then a placeholder): for tests that read only the template. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/**
 * Synthesizes the whole app (cdk-nag included: a finding makes synth throw) and returns
 * its template. Add NO_BUNDLING to the context unless the test reads the functions' code.
 */
export function synthNerve(context: Record<string, unknown> = {}) {
  const merged: Record<string, unknown> = { 'nerve:modelsDir': fixtures, 'nerve:model': 'tiny-model', 'nerve:batchModel': 'tiny-model', ...context };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const { app, stack } = createApp(merged);
  const assembly = app.synth();
  return { app, stack, assembly, template: Template.fromStack(stack) };
}

/**
 * A bare stack for testing one construct alone: the app's feature flags, no cdk-nag, and
 * no bundling (a NodejsFunction then skips esbuild, which is most of a synth's time).
 */
export function bareStack(): Stack {
  const app = new App({ context: { ...FEATURE_FLAGS, ...NO_BUNDLING } });
  return new Stack(app, 'Test');
}

let layerDir: string | undefined;
/** A layer whose content no template assertion looks at: one tiny file. */
export function testLayer(scope: Stack, id: string): lambda.LayerVersion {
  if (!layerDir) {
    layerDir = mkdtempSync(join(tmpdir(), 'nerve-layer-'));
    writeFileSync(join(layerDir, 'README'), 'test layer\n');
  }
  return new lambda.LayerVersion(scope, id, { code: lambda.Code.fromAsset(layerDir) });
}

/** A model's code as layers (lib/model-code.ts) whose content no template assertion looks at. */
export function testModelCode(stack: Stack): ModelCode {
  return { kind: 'layers', layers: [testLayer(stack, 'OnnxRuntime'), testLayer(stack, 'Models')] };
}

/** What a construct that runs a model needs: its model code, and the entity index's table. */
export function constructDeps(stack: Stack): { modelCode: ModelCode; table: dynamodb.ITableV2 } {
  return { modelCode: testModelCode(stack), table: new EntityIndex(stack, 'Index').table };
}

/** The ConfigError that building throws (a construct's validation), or a failure saying what was thrown instead. */
export function configErrorOf(build: () => unknown): ConfigError {
  try {
    build();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError, got ${String(e)}`);
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}
