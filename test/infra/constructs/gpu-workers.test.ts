import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { cudaProviderInstalled, openSession } from '../../../lambdas/engine/session.js';
import { EntityIndex } from '../../../lib/entity-index.js';
import { GPU_WORKERS_DEFAULTS, GpuWorkers, type GpuWorkersProps } from '../../../lib/gpu-workers.js';
import { fixtures, repoRoot } from '../../helpers/paths.js';
import { removeAfterAll } from '../assemblies.js';
import { bareStack, configErrorOf } from '../../helpers/synth.js';
import { scalingChanges } from './step-scaling.js';

const appOf = new WeakMap<Template, App>();
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
  const template = Template.fromStack(stack);
  appOf.set(template, stack.node.root as App);
  return template;
}

const container = (t: Template) => Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0]!.Properties.ContainerDefinitions[0];
const env = (t: Template) => Object.fromEntries(container(t).Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
const managedInstances = (t: Template) => Object.values(t.findResources('AWS::ECS::CapacityProvider'))[0]!.Properties.ManagedInstancesProvider;
/** The services of the VPC endpoints of a type, by the name after com.amazonaws.<region>. */
const endpoints = (t: Template, type: 'Gateway' | 'Interface') =>
  Object.values(t.findResources('AWS::EC2::VPCEndpoint'))
    .filter((e) => (e.Properties.VpcEndpointType ?? 'Gateway') === type)
    .map((e) => JSON.stringify(e.Properties.ServiceName).match(/\.([a-z0-9.-]+)"\]\]\}$/)![1])
    .sort();
/** The worker image's asset in the cloud assembly: its build arguments and the folder it is built from. */
function imageAsset(t: Template) {
  const assembly = appOf.get(t)!.synth();
  removeAfterAll(assembly.directory);
  const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Test.assets.json'), 'utf8'));
  const images = Object.values(manifest.dockerImages) as Array<{ source: { directory: string; dockerFile: string; dockerBuildArgs?: Record<string, string>; platform?: string } }>;
  expect(images).toHaveLength(1);
  return { ...images[0]!.source, directory: join(assembly.directory, images[0]!.source.directory) };
}

/** Every file under a folder, relative to it, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name), `${prefix}${name}/`) : [`${prefix}${name}`])).sort();
}

let template: Template;
beforeAll(() => {
  template = build();
});

describe('GpuWorkers defaults', () => {
  it('GPU service desired count 0, so nothing runs until a queue has work', () => {
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0, DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 0 }) });
  });

  it('a deployment whose workers cannot start fails and rolls back (the deployment circuit breaker)', () => {
    template.hasResourceProperties('AWS::ECS::Service', { DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }) });
  });

  it('capacity: ECS Managed Instances with one NVIDIA GPU, x86_64, on demand, 60 GiB for the image and documents; no Auto Scaling group or launch template to keep', () => {
    template.resourceCountIs('AWS::ECS::CapacityProvider', 1);
    expect(managedInstances(template)).toMatchObject({
      InfrastructureRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^GpuCapacity/), 'Arn'] },
      InstanceLaunchTemplate: {
        CapacityOptionType: 'ON_DEMAND',
        StorageConfiguration: { StorageSizeGiB: 60 },
        InstanceRequirements: {
          AcceleratorTypes: ['gpu'],
          AcceleratorManufacturers: ['nvidia'],
          AcceleratorCount: { Min: 1, Max: 1 },
          CpuManufacturers: ['intel', 'amd'],
          VCpuCount: { Min: 4, Max: 8 },
          MemoryMiB: { Min: 16 * 1024 },
          AllowedInstanceTypes: ['g4dn.*', 'g5.*', 'g6.*', 'g6e.*'],
          BareMetal: 'excluded',
          BurstablePerformance: 'excluded',
        },
      },
    });
    // The one capacity provider of the cluster, and the service's only strategy.
    expect(JSON.stringify(managedInstances(template))).not.toMatch(/graviton|amazon-web-services/);
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0]!.Properties;
    expect(service.CapacityProviderStrategy).toEqual([{ CapacityProvider: { Ref: expect.stringMatching(/^GpuCapacity/) }, Weight: 1 }]);
    expect(service.LaunchType).toBeUndefined();
    for (const type of ['AWS::AutoScaling::AutoScalingGroup', 'AWS::AutoScaling::LaunchConfiguration', 'AWS::EC2::LaunchTemplate']) template.resourceCountIs(type, 0);
  });

  it('no instance or task gets a public IP: isolated subnets, no internet gateway, no NAT', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(subnets.length).toBe(2);
    for (const s of subnets) expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
    const ids = Object.keys(template.findResources('AWS::EC2::Subnet')).sort();
    const refs = (list: Array<{ Ref: string }>) => list.map((r) => r.Ref).sort();
    expect(refs(managedInstances(template).InstanceLaunchTemplate.NetworkConfiguration.Subnets)).toEqual(ids);
    const awsvpc = Object.values(template.findResources('AWS::ECS::Service'))[0]!.Properties.NetworkConfiguration.AwsvpcConfiguration;
    expect(awsvpc.AssignPublicIp).toBe('DISABLED');
    expect(refs(awsvpc.Subnets)).toEqual(ids);
  });

  it('VPC endpoints for what the worker and the ECS agent reach: S3 and DynamoDB gateways, interfaces for SQS, ECR, logs and ECS', () => {
    expect(endpoints(template, 'Gateway')).toEqual(['dynamodb', 's3']);
    expect(endpoints(template, 'Interface')).toEqual(['ecr.api', 'ecr.dkr', 'ecs', 'ecs-agent', 'ecs-telemetry', 'logs', 'sqs']);
    for (const e of Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))) expect(e.Properties.PrivateDnsEnabled).toBe(true);
  });

  it('no inbound traffic to the instances; the endpoints accept HTTPS from the instances only', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const instances = Object.entries(groups).filter(([, g]) => /no inbound/.test(g.Properties.GroupDescription));
    expect(instances).toHaveLength(1);
    expect(instances[0]![1].Properties.SecurityGroupIngress).toBeUndefined();
    const rules = [
      ...Object.values(groups).flatMap((g) => g.Properties.SecurityGroupIngress ?? []),
      ...Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties),
    ];
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect(r).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [instances[0]![0], 'GroupId'] } });
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('task: on Managed Instances (awsvpc), one GPU, 12 GiB reserved, three vCPUs, two minutes to finish on SIGTERM', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['MANAGED_INSTANCES'], NetworkMode: 'awsvpc', Cpu: '3072', Memory: '12288' });
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

  it('a document in flight keeps its worker: scale in to zero only when the GPU queue holds nothing, visible or in flight', () => {
    expect(scalingChanges(template, { gpuInFlight: 1 })).toEqual([]);
    expect(scalingChanges(template, { gpuInFlight: 3, mainVisible: 100 })).toEqual([]);
    expect(scalingChanges(template, {})).toEqual([-4]);
    expect(scalingChanges(template, { mainVisible: 499, mainInFlight: 100 })).toEqual([-4]);
  });

  it('GPU queue: one more task from 1 waiting message, all four from 50', () => {
    expect(scalingChanges(template, { gpuVisible: 1 })).toEqual([1]);
    expect(scalingChanges(template, { gpuVisible: 49, gpuInFlight: 4 })).toEqual([1]);
    expect(scalingChanges(template, { gpuVisible: 50 })).toEqual([4]);
  });

  it('overflow: help the batch function from 500 messages on the main queue, all four from 2,000, never against the GPU queue', () => {
    expect(scalingChanges(template, { mainVisible: 500 })).toEqual([1]);
    expect(scalingChanges(template, { mainVisible: 1999, gpuVisible: 1 })).toEqual([1]);
    expect(scalingChanges(template, { mainVisible: 2000 })).toEqual([4]);
    expect(scalingChanges(template, { mainVisible: 600, gpuVisible: 60 })).toEqual([4]);
  });

  it('one step policy, on one metric math expression over both queues, two minutes apart', () => {
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map((p) => p.Properties.StepScalingPolicyConfiguration);
    for (const p of policies) expect(p).toMatchObject({ AdjustmentType: 'ChangeInCapacity', Cooldown: 120 });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.length).toBe(2); // its scale-in and scale-out alarms
    const expressions = new Set(alarms.map((a) => JSON.stringify(a.Metrics)));
    expect(expressions.size).toBe(1);
    const metrics = alarms[0]!.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map((m: any) => `${JSON.stringify(m.MetricStat.Metric.Dimensions).match(/GpuQueue/) ? 'gpu' : 'main'} ${m.MetricStat.Metric.MetricName} ${m.MetricStat.Stat} ${m.MetricStat.Period}`);
    expect(metrics.sort()).toEqual([
      'gpu ApproximateNumberOfMessagesNotVisible Maximum 60',
      'gpu ApproximateNumberOfMessagesVisible Maximum 60',
      'main ApproximateNumberOfMessagesVisible Maximum 60',
    ]);
  });

  it('the image carries exactly the files the batch model loads: the build context holds them and nothing else of the models folder', () => {
    const image = imageAsset(template);
    expect(image.dockerFile).toBe('Dockerfile.worker');
    expect(image.dockerBuildArgs).toEqual({ BATCH_MODEL: 'ensemble' });
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile.worker'), 'utf8');
    expect(dockerfile.match(/^COPY .*models.*$/gm)).toEqual(['COPY models ./models']);
    const members = (JSON.parse(readFileSync(join(repoRoot, 'models', 'ensemble', 'manifest.json'), 'utf8')) as { members: Array<{ path: string }> }).members.map((m) => m.path).sort();
    // A member's path is relative to the ensemble's folder and may leave it (../small). A tagger
    // loads its manifest and ONNX file; an imported transformer those, its tokenizer and its configs.
    const loads = (member: string) =>
      existsSync(join(repoRoot, 'models', 'ensemble', member, 'tokenizer.json'))
        ? ['manifest.json', 'model.onnx', 'tokenizer.json', 'config.json', 'tokenizer_config.json']
        : ['manifest.json', 'model.onnx'];
    expect(filesUnder(join(image.directory, 'models'))).toEqual(['ensemble/manifest.json', ...members.flatMap((m) => loads(m).map((f) => posix.join('ensemble', m, f)))].sort());
    expect(filesUnder(image.directory).filter((f) => !f.startsWith('lambdas/') && !f.startsWith('models/')).sort()).toEqual(['.npmrc', 'Dockerfile.worker', 'package-lock.json', 'package.json']);
    expect(existsSync(join(image.directory, 'lambdas', 'batch', 'worker.ts'))).toBe(true);
  });

  it('an ensemble\'s members outside its folder go with it, at the same paths; a models folder outside the repository is fine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-gpu-models-'));
    removeAfterAll(dir);
    for (const name of ['tiny-ensemble', 'tiny-model']) cpSync(join(fixtures, name), join(dir, name), { recursive: true });
    const image = imageAsset(build({ model: 'tiny-ensemble', modelsDir: dir }));
    expect(filesUnder(join(image.directory, 'models'))).toEqual(['tiny-ensemble/manifest.json', 'tiny-model/manifest.json', 'tiny-model/model.onnx']);
  });

  it('the image is built for linux/amd64 (g5 instances, the CUDA provider\'s platform) and installs the CUDA provider, which .npmrc skips elsewhere', () => {
    expect(imageAsset(template).platform).toBe('linux/amd64');
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile.worker'), 'utf8');
    expect(readFileSync(join(repoRoot, '.npmrc'), 'utf8')).toMatch(/^ignore-scripts=true$/m);
    expect(dockerfile).toMatch(/^RUN ONNXRUNTIME_NODE_INSTALL=1 npm ci --omit=dev --ignore-scripts=false/m);
    expect(dockerfile).toMatch(/test -f node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime_providers_cuda\.so/);
    // What the installed onnxruntime-node makes of that variable: true, install what the package leaves out (CUDA on linux/x64).
    const flag = spawnSync(process.execPath, ['-e', "console.log(require('onnxruntime-node/script/install-utils.js').parseInstallFlag())"], { cwd: repoRoot, encoding: 'utf8', env: { PATH: process.env.PATH, ONNXRUNTIME_NODE_INSTALL: '1' } });
    expect(flag.stdout.trim(), flag.stderr).toBe('true');
  });

  it('the provider choice: the container asks for CUDA then the CPU; where the CUDA provider is missing (here) the model opens on the CPU and the log says which runs', async () => {
    const providers = String(env(template).NERVE_EXECUTION_PROVIDERS).split(',');
    expect(providers).toEqual(['cuda', 'cpu']);
    expect(cudaProviderInstalled()).toBe(false); // .npmrc skips the download outside the image
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { session, provider } = await openSession(join(fixtures, 'tiny-model', 'model.onnx'), { intraOpThreads: 1, executionProviders: providers });
      await session.release();
      expect(provider).toBe('cpu');
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/^ONNX Runtime: cuda,cpu unavailable \(.+\); using the CPU$/));
    } finally {
      warn.mockRestore();
    }
  });

  it('the image installs tokenizers for a transformer batch model: a production dependency whose npm package itself carries the linux-x64-gnu binary (no install script, no download)', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toHaveProperty('tokenizers');
    const locked = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')).packages['node_modules/tokenizers'];
    expect(locked.dev).toBeUndefined(); // npm ci --omit=dev keeps it
    expect(locked.hasInstallScript).toBeUndefined();
    expect(existsSync(join(repoRoot, 'node_modules', 'tokenizers', 'tokenizers.linux-x64-gnu.node'))).toBe(true);
    expect(readFileSync(join(repoRoot, 'Dockerfile.worker'), 'utf8')).toMatch(/^RUN ONNXRUNTIME_NODE_INSTALL=1 npm ci --omit=dev /m);
  });

  it('container: the region set, so that the SDK never asks the instance metadata service', () => {
    expect(env(template).AWS_REGION).toEqual({ Ref: 'AWS::Region' });
  });

  it('task role: consume both queues, read and write the index, read the ingest prefix', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toMatch(/sqs:ReceiveMessage/);
    expect(policies).toMatch(/dynamodb:PutItem/);
    expect(policies).toMatch(/index\/byRank/);
    expect(policies).toMatch(/incoming\/\*/);
    expect(policies).not.toMatch(/"s3:\*"|"dynamodb:\*"|s3:GetObject\*/);
  });

  it('task role: a busy worker may protect its own task from scale-in: UpdateTaskProtection on this cluster\'s tasks only, and only the task role', () => {
    const taskRole = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0]!.Properties.TaskRoleArn['Fn::GetAtt'][0];
    const cluster = Object.keys(template.findResources('AWS::ECS::Cluster'));
    expect(cluster).toHaveLength(1);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => /TaskProtection/.test(a))).map((s: object) => ({ roles: p.Properties.Roles, ...s })),
    );
    expect(statements).toEqual([
      {
        roles: [{ Ref: taskRole }],
        Effect: 'Allow',
        Action: 'ecs:UpdateTaskProtection',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':task/', { Ref: cluster[0] }, '/*']] },
      },
    ]);
  });
});

describe('GpuWorkers props', () => {
  it('maxWorkers, capacity (Spot), allowedInstanceTypes, model, modelsDir and overflowBacklog', () => {
    const t = build({ maxWorkers: 2, capacity: 'spot', allowedInstanceTypes: ['g6.xlarge'], model: 'tiny-model', modelsDir: fixtures, overflowBacklog: 100 });
    expect(managedInstances(t).InstanceLaunchTemplate).toMatchObject({ CapacityOptionType: 'SPOT', InstanceRequirements: { AllowedInstanceTypes: ['g6.xlarge'] } });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MaxCapacity: 2 });
    expect(env(t).NERVE_BATCH_MODEL).toBe('tiny-model');
    expect(imageAsset(t).dockerBuildArgs).toEqual({ BATCH_MODEL: 'tiny-model' });
    expect(scalingChanges(t, { mainVisible: 99 })).toEqual([-2]);
    expect(scalingChanges(t, { mainVisible: 100 })).toEqual([1]);
    expect(scalingChanges(t, { mainVisible: 400 })).toEqual([2]);
  });

  it('the defaults are those documented', () => {
    expect(GPU_WORKERS_DEFAULTS).toMatchObject({ capacity: 'on-demand', allowedInstanceTypes: ['g4dn.*', 'g5.*', 'g6.*', 'g6e.*'], maxWorkers: 4, overflowBacklog: 500, model: 'ensemble', modelsDir: join(repoRoot, 'models'), intraOpThreads: 4, leaseSeconds: 900 });
  });
});

describe('GpuWorkers validation', () => {
  it.each([
    [{ maxWorkers: 0 }, /maxWorkers must be a positive integer, got 0/],
    [{ maxWorkers: 2.5 }, /maxWorkers must be a positive integer, got 2.5/],
    [{ overflowBacklog: -1 }, /overflowBacklog must be a positive integer, got -1/],
    [{ model: 'custom' }, /model "custom" cannot be shipped from .*models: .*custom holds no manifest.json/],
    [{ capacity: 'reserved' as never }, /capacity must be on-demand or spot, got "reserved"/],
    [{ allowedInstanceTypes: [] as string[] }, /allowedInstanceTypes must name at least one instance type/],
  ] as const)('%o throws ConfigError', (props, message) => {
    expect(configErrorOf(() => build(props)).message).toMatch(message);
  });

  it('reports every problem at once, naming the construct', () => {
    expect(configErrorOf(() => build({ maxWorkers: 0, overflowBacklog: 0 })).message).toMatch(/^GpuWorkers Gpu: maxWorkers .*; overflowBacklog /);
  });
});
