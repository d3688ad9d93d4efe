/**
 * GPU workers: ECS tasks on an EC2 GPU capacity provider (Fargate has no GPUs), running
 * the same batch code in a container (Dockerfile.worker) with ONNX Runtime's CUDA
 * provider. The service scales from zero on the depth of the GPU queue (large files)
 * and of the main queue's backlog (overflow), and back to zero when both are empty;
 * the capacity provider then scales the instances to zero too.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SERVICES } from '../lambdas/shared/contract.js';
import { ENV } from '../lambdas/shared/env.js';
import { ConfigError } from '../lambdas/shared/errors.js';
import { withDefaults, type Settings } from './defaults.js';
import { grantIndex, grantIngestRead } from './grants.js';
import { INGEST_PIPELINE_DEFAULTS } from './ingest-pipeline.js';
import { repoRoot } from './lambda-function.js';

export interface GpuWorkersProps {
  readonly table: dynamodb.ITableV2;
  readonly bucket: s3.IBucket;
  /** Large files, forwarded by the batch function. */
  readonly queue: sqs.IQueue;
  /** The main ingest queue, drained when it backs up. */
  readonly overflowQueue: sqs.IQueue;
  /** @default g5.xlarge (one NVIDIA A10G, four vCPUs, 16 GiB) */
  readonly instanceType?: ec2.InstanceType;
  /** Most workers (and GPU instances) at once. @default 4 */
  readonly maxWorkers?: number;
  /** Main-queue backlog (messages) above which GPU workers help the batch function. @default 500 */
  readonly overflowBacklog?: number;
  /** The batch model in the image. @default the batch function's ('ensemble') */
  readonly model?: string;
}

export const GPU_WORKERS_DEFAULTS = {
  instanceType: new ec2.InstanceType('g5.xlarge'),
  maxWorkers: 4,
  overflowBacklog: 500,
  model: INGEST_PIPELINE_DEFAULTS.model,
  // No props: these follow the default instance type and the worker's code.
  /** ONNX Runtime's intra-op threads (for what runs on the CPU): one per vCPU of the default instance. */
  intraOpThreads: 4,
  /** A worker's lease on a document (lambdas/index/leases.ts): the longest one large file may take before another worker may take it over. */
  leaseSeconds: 900,
  /** Most of the instance's memory, leaving the rest to the OS and the ECS agent. */
  memoryReservationMiB: 12 * 1024,
  /** How long ECS waits after SIGTERM: the worker finishes its current batch (lambdas/batch/worker.ts). */
  stopTimeout: Duration.seconds(120),
  /** The image, the models and room for documents in flight. */
  rootVolumeGiB: 60,
  /** GPU-queue depth at which every worker starts at once instead of one more. */
  fullScaleBacklog: 50,
  scalingCooldown: Duration.minutes(2),
} as const;

/** Every problem with the settings, so that one synth reports them all. */
function problemsOf(s: Settings<GpuWorkersProps, typeof GPU_WORKERS_DEFAULTS>): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(s.maxWorkers) || s.maxWorkers < 1) problems.push(`maxWorkers must be a positive integer, got ${s.maxWorkers}`);
  if (!Number.isInteger(s.overflowBacklog) || s.overflowBacklog < 1) problems.push(`overflowBacklog must be a positive integer, got ${s.overflowBacklog}`);
  return problems;
}

export class GpuWorkers extends Construct {
  public readonly cluster: ecs.ICluster;
  public readonly service: ecs.Ec2Service;

  constructor(scope: Construct, id: string, props: GpuWorkersProps) {
    super(scope, id);
    const s = withDefaults(props, GPU_WORKERS_DEFAULTS);
    const problems = problemsOf(s);
    if (problems.length > 0) throw new ConfigError(`GpuWorkers ${id}: ${problems.join('; ')}`, { construct: id, problems });
    const { maxWorkers } = s;

    // Public subnets without a NAT gateway: instances reach AWS APIs over the internet
    // gateway and accept no inbound traffic at all (the security group has no ingress).
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }] });
    vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogGroup', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })) });
    const securityGroup = new ec2.SecurityGroup(this, 'InstanceSecurity', { vpc, allowAllOutbound: true, description: 'Nerve GPU workers: no inbound traffic' });

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const group = new autoscaling.AutoScalingGroup(this, 'Instances', {
      vpc,
      securityGroup,
      instanceType: s.instanceType,
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
      minCapacity: 0,
      maxCapacity: maxWorkers,
      associatePublicIpAddress: true,
      requireImdsv2: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: autoscaling.BlockDeviceVolume.ebs(s.rootVolumeGiB, { encrypted: true }) }],
      newInstancesProtectedFromScaleIn: false,
    });
    Validations.of(group).acknowledge({ id: 'AwsSolutions-AS3', reason: 'Scaling is driven by ECS managed scaling and watched through the queues\' alarms; per-instance notifications add nothing.' });
    // ECS managed draining moves tasks off an instance before scale-in (no lifecycle-hook Lambda needed).
    const provider = new ecs.AsgCapacityProvider(this, 'Capacity', { autoScalingGroup: group, enableManagedTerminationProtection: false, enableManagedScaling: true, enableManagedDraining: true });
    cluster.addAsgCapacityProvider(provider);

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const task = new ecs.Ec2TaskDefinition(this, 'Task');
    task.addContainer('worker', {
      image: ecs.ContainerImage.fromAsset(repoRoot, {
        file: 'Dockerfile.worker',
        exclude: ['node_modules', '.git', 'cdk.out', 'layers/build', '.nerve', 'inbox', 'bench/data', '.distill', 'models/train/.cache'],
      }),
      gpuCount: 1,
      memoryReservationMiB: s.memoryReservationMiB,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'worker' }),
      environment: {
        [ENV.queueUrl]: props.queue.queueUrl,
        [ENV.overflowQueueUrl]: props.overflowQueue.queueUrl,
        [ENV.indexTable]: props.table.tableName,
        [ENV.batchModel]: s.model,
        [ENV.executionProviders]: 'cuda,cpu',
        [ENV.intraOpThreads]: String(s.intraOpThreads),
        [ENV.leaseSeconds]: String(s.leaseSeconds),
        // The batch handler, which the worker runs, names itself by this (SERVICES.batch otherwise).
        POWERTOOLS_SERVICE_NAME: SERVICES.gpuWorker,
      },
      stopTimeout: s.stopTimeout,
    });
    props.queue.grantConsumeMessages(task.taskRole);
    props.overflowQueue.grantConsumeMessages(task.taskRole);
    grantIndex(task.taskRole, props.table, 'readWrite');
    grantIngestRead(task.taskRole, props.bucket);
    Validations.of(task).acknowledge({ id: 'AwsSolutions-ECS2', reason: 'The environment holds resource names only, no secrets.' });
    // ECS's own roles, as CDK writes them: the agent and the image pull need these on "*".
    Validations.of(task).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken has no resource-level permissions; CDK scopes the rest.' });
    Validations.of(group).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'The ECS agent\'s poll and telemetry actions have no resource-level permissions.' });
    Validations.of(group).acknowledge({ id: 'AwsSolutions-IAM5[Action::ecs:Submit*]', reason: 'The ECS agent reports task and container state with the ecs:Submit* family, scoped to this cluster by CDK.' });

    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: 0,
      minHealthyPercent: 0,
      capacityProviderStrategies: [{ capacityProvider: provider.capacityProviderName, weight: 1 }],
    });
    // From zero and back: one step policy on the GPU queue (large files), one on the main
    // queue's backlog beyond `overflowBacklog` (overflow). Zero messages scale in to zero.
    const scaling = this.service.autoScaleTaskCount({ minCapacity: 0, maxCapacity: maxWorkers });
    scaling.scaleOnMetric('Backlog', {
      metric: props.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      scalingSteps: [
        { upper: 0, change: -maxWorkers },
        { lower: 1, change: +1 },
        { lower: s.fullScaleBacklog, change: +maxWorkers },
      ],
      adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: s.scalingCooldown,
    });
    scaling.scaleOnMetric('Overflow', {
      metric: props.overflowQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      scalingSteps: [
        { upper: s.overflowBacklog, change: 0 },
        { lower: s.overflowBacklog, change: +1 },
        { lower: 4 * s.overflowBacklog, change: +maxWorkers },
      ],
      adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: s.scalingCooldown,
    });
    this.cluster = cluster;
  }
}
