/**
 * The batch path in the whole app (cdk-nag included): what only a full synth shows. The
 * constructs' own defaults are tested alone in constructs/ingest-pipeline.test.ts and
 * constructs/gpu-workers.test.ts.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tagger } from '../../lambdas/engine/tagger.js';
import type { FromWorker, WorkerSetup } from '../../lambdas/engine/parallel.js';
import { MODEL_WORKER_BUNDLE } from '../../lambdas/shared/contract.js';
import { fixtures, repoRoot } from '../helpers/paths.js';
import { configErrorOf, NO_BUNDLING } from '../helpers/synth.js';
import { synthOnce } from './assemblies.js';

let template: Template;
let assemblyDir: string;
beforeAll(() => {
  const synth = synthOnce();
  template = synth.template;
  assemblyDir = synth.assembly.directory;
});

const batchFunction = () => Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('Nerve batch NER') } }))[0]!;

describe('batch path in the app', () => {
  it('runs the batch model named in context, from the batch models layer', () => {
    expect(batchFunction().Properties.Environment.Variables).toMatchObject({ NERVE_BATCH_MODEL: 'tiny-model' });
    const layers = JSON.stringify(batchFunction().Properties.Layers);
    expect(layers).toMatch(/BatchModels/);
    expect(layers).toMatch(/OnnxRuntime/);
  });

  it('the GPU workers consume the pipeline\'s GPU queue and drain its main queue', () => {
    const env = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0]!.Properties.ContainerDefinitions[0].Environment;
    const value = (name: string) => JSON.stringify(env.find((e: { Name: string }) => e.Name === name).Value);
    expect(value('NERVE_QUEUE_URL')).toMatch(/IngestGpuQueue/);
    expect(value('NERVE_OVERFLOW_QUEUE_URL')).toMatch(/"IngestQueue[0-9A-F]/);
    expect(value('NERVE_BATCH_MODEL')).toBe('"tiny-model"');
  });

  it('bundles the model worker thread beside the handler, and the bundle runs', async () => {
    const manifest = JSON.parse(readFileSync(join(assemblyDir, 'Nerve.assets.json'), 'utf8'));
    const key: string = batchFunction().Properties.Code.S3Key;
    const assetDir = join(assemblyDir, manifest.files[key.replace(/\.zip$/, '')].source.path);
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toContain(MODEL_WORKER_BUNDLE);
    // Run the bundled worker from a folder outside the repository, finding onnxruntime-node
    // only through NODE_PATH, as Lambda finds it in the layer (/opt/nodejs/node_modules).
    const dir = mkdtempSync(join(tmpdir(), 'nerve-bundle-'));
    copyFileSync(join(assetDir, MODEL_WORKER_BUNDLE), join(dir, MODEL_WORKER_BUNDLE));
    const model = join(fixtures, 'tiny-model');
    const env = { ...process.env, NODE_PATH: join(repoRoot, 'node_modules') };
    const setup: WorkerSetup = { ref: model, options: {} };
    const worker = new Worker(join(dir, MODEL_WORKER_BUNDLE), { workerData: { setup }, env });
    try {
      const messages: FromWorker[] = [];
      const next = () => new Promise<FromWorker>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      messages.push(await next());
      const sentence = ['Peter', 'Blackburn', 'went', 'to', 'Paris', '.'];
      worker.postMessage({ kind: 'labels', id: 7, batch: [sentence] });
      messages.push(await next());
      const tagger = await Tagger.load(model);
      const expected = await tagger.labelSentences([sentence]);
      await tagger.release();
      expect(messages).toEqual([
        { kind: 'ready', model: tagger.model, family: tagger.family, labels: tagger.labels },
        { kind: 'result', id: 7, result: expected },
      ]);
    } finally {
      await worker.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no role in the stack gets a wildcard action on S3 or DynamoDB', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"s3:\*"|"dynamodb:\*"|s3:GetObject\*|s3:List\*/);
    expect(policies).toMatch(/index\/byRank/);
  });

  it('GPU workers can be left out; batch concurrency comes from context', () => {
    const t = synthOnce({ ...NO_BUNDLING, 'nerve:gpuWorkers': 'false', 'nerve:batchConcurrency': 20 }).template;
    t.resourceCountIs('AWS::ECS::Service', 0);
    t.resourceCountIs('AWS::Lambda::Function', 4 + 1); // online, documents, search, batch + CDK's notifications handler
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 20 } });
    // Nothing would read a GPU queue: large files stay with the batch function, none is parked for 14 days.
    expect(Object.keys(t.findResources('AWS::SQS::Queue')).filter((id) => /Gpu/.test(id))).toEqual([]);
    const batch = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('Nerve batch NER') } }))[0]!;
    expect(batch.Properties.Environment.Variables).not.toHaveProperty('NERVE_GPU_QUEUE_URL');
  });

  it('the worker image is built with the batch model and models folder named in context', () => {
    const manifest = JSON.parse(readFileSync(join(assemblyDir, 'Nerve.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages) as Array<{ source: { dockerBuildArgs: Record<string, string> } }>;
    expect(images.map((i) => i.source.dockerBuildArgs)).toEqual([{ BATCH_MODEL: 'tiny-model' }]);
  });

  it('the GPU workers run on demand by default, on Spot with nerve:gpuCapacity=spot; another value is a ConfigError', () => {
    const option = (t: Template) => Object.values(t.findResources('AWS::ECS::CapacityProvider'))[0]!.Properties.ManagedInstancesProvider.InstanceLaunchTemplate.CapacityOptionType;
    expect(option(template)).toBe('ON_DEMAND');
    expect(option(synthOnce({ ...NO_BUNDLING, 'nerve:gpuCapacity': 'spot' }).template)).toBe('SPOT');
    expect(configErrorOf(() => synthOnce({ ...NO_BUNDLING, 'nerve:gpuCapacity': 'cheap' })).message).toMatch(/nerve:gpuCapacity must be on-demand or spot, got "cheap"/);
  });

  it('no launch configuration or template (ECS Managed Instances launches the GPU instances); no role may describe the table or check conditions', () => {
    template.resourceCountIs('AWS::AutoScaling::LaunchConfiguration', 0);
    template.resourceCountIs('AWS::EC2::LaunchTemplate', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/dynamodb:DescribeTable|dynamodb:ConditionCheckItem/);
  });
});
