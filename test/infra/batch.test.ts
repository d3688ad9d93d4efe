import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_SETTINGS, BATCH_FUNCTION_TIMEOUT_SECONDS } from '../../lambdas/batch/settings.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import type { FromWorker } from '../../lambdas/engine/parallel.js';
import { lambdaVcpus } from '../../lib/ingest-pipeline.js';
import { fixtures, repoRoot } from '../helpers/paths.js';
import { synthNerve } from '../helpers/synth.js';

let template: Template;
let assemblyDir: string;
beforeAll(() => {
  const synth = synthNerve();
  template = synth.template;
  assemblyDir = synth.assembly.directory;
});

const batchFunction = () => Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('Nerve batch NER') } }))[0]!;

describe('entity index', () => {
  it('is one on-demand table with point-in-time recovery, encryption and the rank index', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [Match.objectLike({ IndexName: 'byRank', KeySchema: Match.arrayWith([{ AttributeName: 'rank', KeyType: 'RANGE' }]) })],
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
      SSESpecification: Match.anyValue(),
    });
  });
});

describe('ingest pipeline', () => {
  it('keeps documents in an encrypted, versioned, TLS-only, private bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: Match.anyValue(),
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'documents/' }),
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies.length).toBeGreaterThanOrEqual(2);
    for (const p of policies) expect(JSON.stringify(p)).toMatch(/"aws:SecureTransport":"false"/);
  });

  it('sends created and removed events under incoming/ to the queue', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: Match.arrayWith([
          Match.objectLike({ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } } }),
          Match.objectLike({ Events: ['s3:ObjectRemoved:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } } }),
        ]),
      },
    });
  });

  it('has encrypted, TLS-only queues with dead-letter queues after a few receives, and alarms on them', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: QUEUE_SETTINGS.visibilityTimeoutSeconds,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: QUEUE_SETTINGS.maxReceiveCount }),
    });
    expect(Object.keys(template.findResources('AWS::SQS::Queue')).length).toBe(4);
    for (const p of Object.values(template.findResources('AWS::SQS::QueuePolicy'))) expect(JSON.stringify(p)).toMatch(/"aws:SecureTransport":"false"/);
    const dlqAlarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmDescription: Match.stringLikeRegexp('dead-letter') } });
    expect(Object.values(dlqAlarms).map((a) => [a.Properties.MetricName, a.Properties.Threshold])).toEqual([
      ['ApproximateNumberOfMessagesVisible', 1],
      ['ApproximateNumberOfMessagesVisible', 1],
    ]);
  });

  it('consumes the queue with partial batch responses and bounded concurrency, timeouts consistent', () => {
    const fn = batchFunction();
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['x86_64'], Timeout: BATCH_FUNCTION_TIMEOUT_SECONDS });
    expect(fn.Properties.Layers).toHaveLength(2);
    expect(QUEUE_SETTINGS.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * BATCH_FUNCTION_TIMEOUT_SECONDS);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
      BatchSize: 10,
    });
  });

  it('runs the model in one thread per vCPU, each with one intra-op thread', () => {
    expect(batchFunction().Properties.MemorySize).toBe(3538);
    expect(batchFunction().Properties.Environment.Variables).toMatchObject({ NERVE_MODEL_WORKERS: '2', NERVE_INTRA_OP_THREADS: '1' });
    expect([1024, 1769, 3538, 5307, 10240].map(lambdaVcpus)).toEqual([1, 1, 2, 3, 5]);
  });

  it('bundles the model worker thread beside the handler, and the bundle runs', async () => {
    const manifest = JSON.parse(readFileSync(join(assemblyDir, 'Nerve.assets.json'), 'utf8'));
    const key: string = batchFunction().Properties.Code.S3Key;
    const assetDir = join(assemblyDir, manifest.files[key.replace(/\.zip$/, '')].source.path);
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toContain('parallel-worker.cjs');
    // Run the bundled worker from a folder outside the repository, finding onnxruntime-node
    // only through NODE_PATH, as Lambda finds it in the layer (/opt/nodejs/node_modules).
    const dir = mkdtempSync(join(tmpdir(), 'nerve-bundle-'));
    copyFileSync(join(assetDir, 'parallel-worker.cjs'), join(dir, 'parallel-worker.cjs'));
    const model = join(fixtures, 'tiny-model');
    const env = { ...process.env, NODE_PATH: join(repoRoot, 'node_modules') };
    const worker = new Worker(join(dir, 'parallel-worker.cjs'), { workerData: { ref: model, options: {} }, env });
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
        { kind: 'ready', model: tagger.model, labels: tagger.labels },
        { kind: 'result', id: 7, result: expected },
      ]);
    } finally {
      await worker.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('grants the batch function only what it needs', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"s3:\*"|"dynamodb:\*"|s3:GetObject\*|s3:List\*/);
    expect(policies).toMatch(/index\/byRank/);
  });
});

describe('GPU workers', () => {
  it('run on an EC2 GPU capacity provider that starts at zero', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '0' });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', { AutoScalingGroupProvider: Match.objectLike({ ManagedScaling: Match.objectLike({ Status: 'ENABLED' }), ManagedDraining: 'ENABLED' }) });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [Match.objectLike({ ResourceRequirements: [{ Type: 'GPU', Value: '1' }], Environment: Match.arrayWith([{ Name: 'NERVE_EXECUTION_PROVIDERS', Value: 'cuda,cpu' }]) })],
    });
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0 });
  });

  it('scale from zero on queue depth and back to zero', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 4, ScalableDimension: 'ecs:service:DesiredCount' });
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', { Properties: { PolicyType: 'StepScaling' } }));
    expect(policies.length).toBeGreaterThanOrEqual(2);
  });

  it('can be left out', () => {
    const t = synthNerve({ 'nerve:gpuWorkers': 'false' }).template;
    t.resourceCountIs('AWS::ECS::Service', 0);
    t.resourceCountIs('AWS::Lambda::Function', 4 + 1); // online, documents, search, batch + CDK's notifications handler
  });
});

describe('search route', () => {
  it('is POST /v1/search behind the same authorizer, with read-only index access', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/search', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/documents/{documentId}', AuthorizationType: 'AWS_IAM' });
    const search = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Nerve: POST /v1/search' } }))[0]!;
    expect(search[1].Properties.Layers).toHaveLength(2);
    const role = search[1].Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(role));
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => [st.Action].flat()));
    expect(actions.filter((a: string) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query']);
  });
});
