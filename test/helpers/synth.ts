import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../bin/app.js';
import { fixtures } from './paths.js';

/** Synthesizes the whole app (cdk-nag included: a finding makes synth throw) and returns its template. */
export function synthNerve(context: Record<string, unknown> = {}) {
  const merged: Record<string, unknown> = { 'nerve:modelsDir': fixtures, 'nerve:model': 'tiny-model', 'nerve:batchModel': 'tiny-model', ...context };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const { app, stack } = createApp(merged);
  const assembly = app.synth();
  return { app, stack, assembly, template: Template.fromStack(stack) };
}
