import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_FUNCTION_TIMEOUT_SECONDS, QUEUE_SETTINGS } from '../../../lambdas/batch/settings.js';
import { lambdaVcpus } from '../../../lambdas/shared/contract.js';
import { INGEST_PIPELINE_DEFAULTS, IngestPipeline, type IngestPipelineProps } from '../../../lib/ingest-pipeline.js';
import { bareStack, configErrorOf, constructDeps } from '../../helpers/synth.js';

function build(props: Partial<IngestPipelineProps> = {}) {
  const stack = bareStack();
  new IngestPipeline(stack, 'Ingest', { ...constructDeps(stack), ...props });
  return Template.fromStack(stack);
}

const batchFunction = (t: Template) => Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('Nerve batch NER') } }))[0]!;
const env = (t: Template) => batchFunction(t).Properties.Environment.Variables as Record<string, unknown>;

let template: Template;
beforeAll(() => {
  template = build();
});

describe('IngestPipeline defaults', () => {
  it('documents bucket: encrypted, versioned, private, access-logged, retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'documents/' }),
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('documents bucket: old versions expire after 30 days, then their delete markers; abandoned uploads after 7', () => {
    const documents = Object.values(template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: Match.anyValue() } }));
    expect(documents).toHaveLength(1);
    expect(documents[0]!.Properties.LifecycleConfiguration.Rules).toEqual([
      { Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, ExpiredObjectDeleteMarker: true, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
    ]);
  });

  it('buckets and queues refuse plain HTTP', () => {
    const policies = [...Object.values(template.findResources('AWS::S3::BucketPolicy')), ...Object.values(template.findResources('AWS::SQS::QueuePolicy'))];
    expect(policies.length).toBe(2 + 4); // documents, access logs; two queues, two dead-letter queues
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

  it('queue visibility timeout is 6x the function timeout', () => {
    expect(QUEUE_SETTINGS.visibilityTimeoutSeconds).toBe(6 * BATCH_FUNCTION_TIMEOUT_SECONDS);
    const queues = Object.values(template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }));
    expect(queues).toHaveLength(2); // the main queue and the GPU queue
    for (const q of queues) expect(q.Properties.VisibilityTimeout).toBe(6 * BATCH_FUNCTION_TIMEOUT_SECONDS);
  });

  it('every queue is encrypted and has a dead-letter queue after a few receives', () => {
    template.resourceCountIs('AWS::SQS::Queue', 4);
    for (const q of Object.values(template.findResources('AWS::SQS::Queue'))) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    template.allResourcesProperties('AWS::SQS::Queue', Match.objectLike({ MessageRetentionPeriod: 14 * 24 * 3600 }));
    const redrives = Object.values(template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }));
    for (const q of redrives) expect(q.Properties.RedrivePolicy.maxReceiveCount).toBe(QUEUE_SETTINGS.maxReceiveCount);
  });

  it('an alarm on each dead-letter queue at one message', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmDescription: Match.stringLikeRegexp('dead-letter') } }));
    expect(alarms.map((a) => [a.Properties.MetricName, a.Properties.Threshold, a.Properties.ComparisonOperator])).toEqual([
      ['ApproximateNumberOfMessagesVisible', 1, 'GreaterThanOrEqualToThreshold'],
      ['ApproximateNumberOfMessagesVisible', 1, 'GreaterThanOrEqualToThreshold'],
    ]);
  });

  it('event source: batches of 10, at most 10 concurrent, partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, ScalingConfig: { MaximumConcurrency: 10 }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('batch function: 3,538 MB, the batch timeout, nodejs22.x on x86_64, two layers', () => {
    expect(batchFunction(template).Properties).toMatchObject({ MemorySize: 3538, Timeout: BATCH_FUNCTION_TIMEOUT_SECONDS, Runtime: 'nodejs22.x', Architectures: ['x86_64'] });
    expect(batchFunction(template).Properties.Layers).toHaveLength(2);
  });

  it('batch function has NERVE_MODEL_WORKERS = 2 at the default 3,538 MB, each with one intra-op thread', () => {
    expect(env(template)).toMatchObject({ NERVE_MODEL_WORKERS: '2', NERVE_INTRA_OP_THREADS: '1' });
  });

  it('batch function runs the ensemble from /opt/models, leases for its timeout, and names itself nerve-batch', () => {
    expect(env(template)).toMatchObject({
      NERVE_BATCH_MODEL: 'ensemble',
      NERVE_MODELS_DIR: '/opt/models',
      NERVE_LEASE_SECONDS: String(BATCH_FUNCTION_TIMEOUT_SECONDS),
      POWERTOOLS_SERVICE_NAME: 'nerve-batch',
      POWERTOOLS_METRICS_NAMESPACE: 'Nerve',
    });
  });

  it('files over 512 KiB go to the GPU queue; none over 50 MiB is read', () => {
    expect(env(template)).toMatchObject({ NERVE_GPU_THRESHOLD_BYTES: String(512 * 1024), NERVE_MAX_OBJECT_BYTES: String(50 * 1024 * 1024), NERVE_GPU_QUEUE_URL: { Ref: expect.stringMatching(/^IngestGpuQueue/) } });
  });

  it('grants only what the function needs: the ingest prefix, the table and its rank index, sending to the GPU queue', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"s3:\*"|"dynamodb:\*"|s3:GetObject\*|s3:List\*/);
    expect(policies).toMatch(/incoming\/\*/);
    expect(policies).toMatch(/index\/byRank/);
    expect(policies).toMatch(/sqs:SendMessage/);
    // Nothing in lambdas/ describes the table or writes in transactions.
    expect(policies).not.toMatch(/dynamodb:DescribeTable|dynamodb:ConditionCheckItem/);
    expect(policies).toMatch(/dynamodb:UpdateItem/);
  });
});

describe('IngestPipeline props', () => {
  it('gpuQueue false (no GPU workers): no GPU queue, and the function processes large files itself', () => {
    const t = build({ gpuQueue: false });
    t.resourceCountIs('AWS::SQS::Queue', 2); // the main queue and its dead-letter queue
    expect(Object.keys(t.findResources('AWS::SQS::Queue')).filter((id) => /Gpu/.test(id))).toEqual([]);
    expect(env(t)).not.toHaveProperty('NERVE_GPU_QUEUE_URL');
    expect(env(t)).not.toHaveProperty('NERVE_GPU_THRESHOLD_BYTES');
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toMatch(/Gpu/);
    // It still sends to its own queue: a change whose file another worker holds goes back there, delayed.
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toMatch(/sqs:SendMessage[^\]]*\][^\]]*IngestQueue[0-9A-F]{8}/);
    expect(Object.values(t.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(1);
  });

  it('noncurrentVersionDays', () => {
    const t = build({ noncurrentVersionDays: 90 });
    t.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })] } });
  });

  it('memorySize sets the model threads: one per vCPU, which Lambda gives per 1,769 MB', () => {
    expect(env(build({ memorySize: 5307 }))).toMatchObject({ NERVE_MODEL_WORKERS: '3', NERVE_INTRA_OP_THREADS: '1' });
    expect([1024, 1769, 3538, 5307, 10240].map(lambdaVcpus)).toEqual([1, 1, 2, 3, 5]);
  });

  it('an undefined prop takes the default (bin/app.ts passes unset context so)', () => {
    const t = build({ model: undefined, maxConcurrency: undefined });
    expect(env(t).NERVE_BATCH_MODEL).toBe(INGEST_PIPELINE_DEFAULTS.model);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: INGEST_PIPELINE_DEFAULTS.maxConcurrency } });
  });
});

describe('IngestPipeline validation', () => {
  it.each([
    [{ maxConcurrency: 1 }, /maxConcurrency must be an integer from 2 to 1000 \(SQS event source limits\), got 1/],
    [{ batchSize: 11 }, /batchSize must be 1 to 10, got 11/],
    [{ gpuThresholdBytes: 0 }, /gpuThresholdBytes must be a positive integer, got 0/],
    [{ maxObjectBytes: 1.5 }, /maxObjectBytes must be a positive integer, got 1.5/],
    [{ memorySize: 64 }, /memorySize must be an integer from 128 to 10240 MB, got 64/],
    [{ noncurrentVersionDays: 7 }, /noncurrentVersionDays must be an integer ≥ 14 \(the queues' retention: a queued event names its version\), got 7/],
    [{ gpuQueue: false, gpuThresholdBytes: 1024 }, /gpuThresholdBytes has no effect without the GPU queue \(gpuQueue: false\)/],
  ] as const)('%o throws ConfigError', (props, message) => {
    expect(configErrorOf(() => build(props)).message).toMatch(message);
  });

  it('reports every problem at once, naming the construct', () => {
    expect(configErrorOf(() => build({ maxConcurrency: 0, batchSize: 0 })).message).toMatch(/^IngestPipeline Ingest: maxConcurrency .*; batchSize /);
  });
});
