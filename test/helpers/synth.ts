import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../bin/app.js';
import { fixtures } from './paths.js';

/** Synthesizes the whole app (cdk-nag included: a finding makes synth throw) and returns its template. */
export function synthNerve(context: Record<string, unknown> = {}) {
  const { app, stack } = createApp({ 'nerve:modelsDir': fixtures, 'nerve:model': 'tiny-model', ...context });
  const assembly = app.synth();
  return { app, stack, assembly, template: Template.fromStack(stack) };
}
