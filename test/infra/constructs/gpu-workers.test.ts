import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EntityIndex } from '../../../lib/entity-index.js';
import { GPU_WORKERS_DEFAULTS, GpuWorkers, type GpuWorkersProps } from '../../../lib/gpu-workers.js';
import { bareStack, configErrorOf } from '../../helpers/synth.js';

function build(props: Partial<GpuWorkersProps> = {}) {
  const stack = bareStack();
  const queue = (id: string) => new sqs.Queue(stack, id, { enforceSSL: true });
  new GpuWorkers(stack, 'Gpu', {
    table: new EntityIndex(stack, 'Index').table,
    bucket: new s3.Bucket(stack, 'Documents'),
    queue: queue('GpuQueue'),
    overflowQueue: queue('Queue'),
    ...props,
  });
  return Template.fromStack(stack);
}

const container = (t: Template) => Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0]!.Properties.ContainerDefinitions[0];
const env = (t: Template) => Object.fromEntries(container(t).Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
/** Resources of a type whose logical ID matches: CDK names the scaling policies and alarms after the scaleOnMetric id. */
const named = (t: Template, type: string, id: RegExp) => Object.entries(t.findResources(type)).filter(([logicalId]) => id.test(logicalId)).map(([, r]) => r.Properties);
const stepPolicies = (t: Template, id: RegExp) => named(t, 'AWS::ApplicationAutoScaling::ScalingPolicy', id).map((p) => p.StepScalingPolicyConfiguration);
const alarmThresholds = (t: Template, id: RegExp) => named(t, 'AWS::CloudWatch::Alarm', id).map((a) => a.Threshold as number).sort((a, b) => a - b);

let template: Template;
beforeAll(() => {
  template = build();
});

describe('GpuWorkers defaults', () => {
  it('GPU service desired count 0, so nothing runs until a queue has work', () => {
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0, DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 0 }) });
  });

  it('instances: g5.xlarge, from 0 to 4, IMDSv2, encrypted root volume', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '0', MaxSize: '4' });
    template.hasResourceProperties('AWS::AutoScaling::LaunchConfiguration', {
      InstanceType: 'g5.xlarge',
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 60 } }],
    });
  });

  it('capacity provider: managed scaling and draining', () => {
    template.hasResourceProperties('AWS::ECS::CapacityProvider', { AutoScalingGroupProvider: Match.objectLike({ ManagedScaling: Match.objectLike({ Status: 'ENABLED' }), ManagedDraining: 'ENABLED' }) });
  });

  it('no inbound traffic: the security group has no ingress', () => {
    for (const sg of Object.values(template.findResources('AWS::EC2::SecurityGroup'))) expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('task: one GPU, 12 GiB reserved, two minutes to finish on SIGTERM', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['EC2'] });
    expect(container(template)).toMatchObject({ ResourceRequirements: [{ Type: 'GPU', Value: '1' }], MemoryReservation: 12 * 1024, StopTimeout: 120 });
  });

  it('container: the ensemble on CUDA (CPU fallback), four intra-op threads, 900 s lease, named nerve-gpu-worker', () => {
    expect(env(template)).toMatchObject({
      NERVE_BATCH_MODEL: 'ensemble',
      NERVE_EXECUTION_PROVIDERS: 'cuda,cpu',
      NERVE_INTRA_OP_THREADS: '4',
      NERVE_LEASE_SECONDS: '900',
      POWERTOOLS_SERVICE_NAME: 'nerve-gpu-worker',
      NERVE_QUEUE_URL: { Ref: expect.stringMatching(/^GpuQueue/) },
      NERVE_OVERFLOW_QUEUE_URL: { Ref: expect.stringMatching(/^Queue/) },
    });
  });

  it('tasks scale from 0 to 4', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 4, ScalableDimension: 'ecs:service:DesiredCount' });
  });

  it('GPU queue: one more task from 1 message, all four from 50, back to zero when empty', () => {
    const steps = (policy: RegExp) => stepPolicies(template, policy).map((c) => [c.AdjustmentType, c.Cooldown, c.StepAdjustments]);
    expect(steps(/BacklogUpper/)).toEqual([['ChangeInCapacity', 120, [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 49, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 49, ScalingAdjustment: 4 }]]]);
    expect(steps(/BacklogLower/)).toEqual([['ChangeInCapacity', 120, [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -4 }]]]);
    expect(alarmThresholds(template, /Backlog/)).toEqual([0, 1]); // the step bounds above are relative to these
  });

  it('overflow: help the batch function from 500 messages on the main queue, all four from 2,000', () => {
    expect(alarmThresholds(template, /Overflow/)).toEqual([500]);
    expect(stepPolicies(template, /Overflow/).map((c) => c.StepAdjustments)).toEqual([
      [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 1500, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 1500, ScalingAdjustment: 4 }],
    ]);
  });

  it('task role: consume both queues, read and write the index, read the ingest prefix', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toMatch(/sqs:ReceiveMessage/);
    expect(policies).toMatch(/dynamodb:PutItem/);
    expect(policies).toMatch(/index\/byRank/);
    expect(policies).toMatch(/incoming\/\*/);
    expect(policies).not.toMatch(/"s3:\*"|"dynamodb:\*"|s3:GetObject\*/);
  });
});

describe('GpuWorkers props', () => {
  it('maxWorkers, instanceType, model and overflowBacklog', () => {
    const t = build({ maxWorkers: 2, instanceType: new ec2.InstanceType('g6.xlarge'), model: 'custom', overflowBacklog: 100 });
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MaxSize: '2' });
    t.hasResourceProperties('AWS::AutoScaling::LaunchConfiguration', { InstanceType: 'g6.xlarge' });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MaxCapacity: 2 });
    expect(env(t).NERVE_BATCH_MODEL).toBe('custom');
    expect(alarmThresholds(t, /Overflow/)).toEqual([100]);
    expect(stepPolicies(t, /Overflow/)[0].StepAdjustments.at(-1)).toEqual({ MetricIntervalLowerBound: 300, ScalingAdjustment: 2 });
  });

  it('the defaults are those documented', () => {
    expect(GPU_WORKERS_DEFAULTS).toMatchObject({ maxWorkers: 4, overflowBacklog: 500, model: 'ensemble', intraOpThreads: 4, leaseSeconds: 900 });
    expect(GPU_WORKERS_DEFAULTS.instanceType.toString()).toBe('g5.xlarge');
  });
});

describe('GpuWorkers validation', () => {
  it.each([
    [{ maxWorkers: 0 }, /maxWorkers must be a positive integer, got 0/],
    [{ maxWorkers: 2.5 }, /maxWorkers must be a positive integer, got 2.5/],
    [{ overflowBacklog: -1 }, /overflowBacklog must be a positive integer, got -1/],
  ] as const)('%o throws ConfigError', (props, message) => {
    expect(configErrorOf(() => build(props)).message).toMatch(message);
  });

  it('reports every problem at once, naming the construct', () => {
    expect(configErrorOf(() => build({ maxWorkers: 0, overflowBacklog: 0 })).message).toMatch(/^GpuWorkers Gpu: maxWorkers .*; overflowBacklog /);
  });
});
