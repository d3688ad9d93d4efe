/**
 * GPU workers: ECS tasks on an EC2 GPU capacity provider (Fargate has no GPUs), running
 * the same batch code in a container (Dockerfile.worker, which carries the batch model
 * only) with ONNX Runtime's CUDA provider. The service scales from zero on the GPU queue
 * (large files) and the main queue's backlog (overflow), and back to zero only when the
 * GPU queue holds nothing, waiting or in flight; the capacity provider then scales the
 * instances to zero too. The instances live in isolated subnets (no public IP, no route
 * out) and reach AWS through VPC endpoints.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
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
import { repoPath, repoRoot } from './lambda-function.js';

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
  /** The folder holding `model`, inside the repository (the image's build context). @default the repository's models/ */
  readonly modelsDir?: string;
}

export const GPU_WORKERS_DEFAULTS = {
  instanceType: new ec2.InstanceType('g5.xlarge'),
  maxWorkers: 4,
  overflowBacklog: 500,
  model: INGEST_PIPELINE_DEFAULTS.model,
  modelsDir: repoPath('models'),
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
  /** IMDSv2's hop limit: 1 keeps containers (bridge network) from the instance's credentials; tasks use their task role. */
  imdsHopLimit: 1,
} as const;

/** What the image needs besides the repository's code: never part of its build context. */
// Dockerfile.worker copies the package files, lambdas/ and the batch model only; the rest stays
// out of the build context (tools/hf/.venv alone is over a gigabyte, and a synth copies the context).
const IMAGE_EXCLUDE = ['node_modules', '.git', 'cdk.out', 'layers/build', '.nerve', 'inbox', 'bench', 'tools', 'test', 'docs', '**/.venv', '.distill', 'models/train/.cache'];

/** Interface endpoints: the worker's queues and logs, the image pull, and the ECS agent's three services. */
const INTERFACE_ENDPOINTS = {
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  Ecs: ec2.InterfaceVpcEndpointAwsService.ECS,
  EcsAgent: ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
  EcsTelemetry: ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
};

/** Levels of the scaling expression (see `workLevel`). */
const WORK = { idle: 0, inFlight: 1, waiting: 2, fullScale: 3 } as const;

/** Every problem with the settings, so that one synth reports them all. */
function problemsOf(s: Settings<GpuWorkersProps, typeof GPU_WORKERS_DEFAULTS>): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(s.maxWorkers) || s.maxWorkers < 1) problems.push(`maxWorkers must be a positive integer, got ${s.maxWorkers}`);
  if (!Number.isInteger(s.overflowBacklog) || s.overflowBacklog < 1) problems.push(`overflowBacklog must be a positive integer, got ${s.overflowBacklog}`);
  const inside = relative(repoRoot, s.modelsDir);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) problems.push(`modelsDir must be inside the repository (${repoRoot}: the worker image's build context), got ${s.modelsDir}`);
  if (!existsSync(join(s.modelsDir, s.model, 'manifest.json'))) problems.push(`model "${s.model}" is not in ${s.modelsDir}: no ${s.model}/manifest.json`);
  return problems;
}

/**
 * One number for both queues, so that one step policy decides and two never pull apart:
 * fullScale: 50+ large files waiting, or the main queue 4x past its overflow backlog;
 * waiting: a large file waiting, or the main queue past its overflow backlog;
 * inFlight: nothing waiting, but a large file in flight (hold: a worker is on it);
 * idle: nothing waiting, nothing in flight. Only idle scales in. Comparisons and IF only;
 * a missing data point gives no value (no action), never a false idle.
 */
function workLevel(gpu: sqs.IQueue, main: sqs.IQueue, fullScaleBacklog: number, overflowBacklog: number): cloudwatch.MathExpression {
  const period = Duration.minutes(1);
  const at = { period, statistic: 'Maximum' };
  const expression = [
    `IF(gpuWaiting >= ${fullScaleBacklog}, ${WORK.fullScale}`,
    `IF(mainWaiting >= ${4 * overflowBacklog}, ${WORK.fullScale}`,
    `IF(gpuWaiting >= 1, ${WORK.waiting}`,
    `IF(mainWaiting >= ${overflowBacklog}, ${WORK.waiting}`,
    `IF(gpuInFlight >= 1, ${WORK.inFlight}, ${WORK.idle})))))`,
  ].join(', ');
  return new cloudwatch.MathExpression({
    expression,
    label: 'GPU work: 0 idle, 1 in flight only, 2 waiting, 3 waiting at full scale',
    period,
    usingMetrics: {
      gpuWaiting: gpu.metricApproximateNumberOfMessagesVisible(at),
      gpuInFlight: gpu.metricApproximateNumberOfMessagesNotVisible(at),
      mainWaiting: main.metricApproximateNumberOfMessagesVisible(at),
    },
  });
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
    const modelsInContext = relative(repoRoot, s.modelsDir).split(sep).join('/');

    // Isolated subnets: no internet gateway, no NAT, no public IP. AWS is reached through
    // VPC endpoints: gateways for S3 (the image's layers, documents) and DynamoDB, interfaces for the rest.
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogGroup', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })) });
    const securityGroup = new ec2.SecurityGroup(this, 'InstanceSecurity', { vpc, allowAllOutbound: true, description: 'Nerve GPU workers: no inbound traffic' });
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    const endpointSecurity = new ec2.SecurityGroup(this, 'EndpointSecurity', { vpc, allowAllOutbound: false, description: 'Nerve GPU workers: VPC endpoints, HTTPS from the GPU instances' });
    endpointSecurity.addIngressRule(securityGroup, ec2.Port.tcp(443), 'HTTPS from the GPU instances');
    for (const [endpointId, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      vpc.addInterfaceEndpoint(endpointId, { service, securityGroups: [endpointSecurity], open: false, privateDnsEnabled: true });
    }

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    // A launch template (new accounts can no longer create launch configurations): IMDSv2 only, hop limit 1.
    const instanceRole = new iam.Role(this, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: s.instanceType,
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
      userData: ec2.UserData.forLinux(),
      role: instanceRole,
      securityGroup,
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: s.imdsHopLimit,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(s.rootVolumeGiB, { encrypted: true }) }],
    });
    const group = new autoscaling.AutoScalingGroup(this, 'Instances', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      launchTemplate,
      minCapacity: 0,
      maxCapacity: maxWorkers,
      newInstancesProtectedFromScaleIn: false,
    });
    Validations.of(group).acknowledge({ id: 'AwsSolutions-AS3', reason: 'Scaling is driven by ECS managed scaling and watched through the queues\' alarms; per-instance notifications add nothing.' });
    // ECS managed draining moves tasks off an instance before scale-in (no lifecycle-hook Lambda needed).
    const provider = new ecs.AsgCapacityProvider(this, 'Capacity', { autoScalingGroup: group, enableManagedTerminationProtection: false, enableManagedScaling: true, enableManagedDraining: true });
    cluster.addAsgCapacityProvider(provider);

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const task = new ecs.Ec2TaskDefinition(this, 'Task');
    task.addContainer('worker', {
      // Exactly the batch model: its folder and name are build arguments, and no other model is in the context.
      image: ecs.ContainerImage.fromAsset(repoRoot, {
        file: 'Dockerfile.worker',
        // g5 instances are x86_64, and the CUDA provider onnxruntime-node downloads is linux/x64's: also when built on an arm64 machine.
        platform: Platform.LINUX_AMD64,
        buildArgs: { MODELS_DIR: modelsInContext, BATCH_MODEL: s.model },
        exclude: [...IMAGE_EXCLUDE, `${modelsInContext}/*`, `!${modelsInContext}/${s.model}`],
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
        // ECS on EC2 does not set the region, and the SDK would not ask IMDS (out of reach at hop limit 1) anyway.
        AWS_REGION: Stack.of(this).region,
      },
      stopTimeout: s.stopTimeout,
    });
    props.queue.grantConsumeMessages(task.taskRole);
    props.overflowQueue.grantConsumeMessages(task.taskRole);
    // A change whose file another worker holds goes back to the queue it came from, delayed (lambdas/batch/handler.ts).
    props.queue.grantSendMessages(task.taskRole);
    props.overflowQueue.grantSendMessages(task.taskRole);
    grantIndex(task.taskRole, props.table, 'readWrite');
    grantIngestRead(task.taskRole, props.bucket);
    Validations.of(task).acknowledge({ id: 'AwsSolutions-ECS2', reason: 'The environment holds resource names only, no secrets.' });
    // ECS's own roles, as CDK writes them: the agent and the image pull need these on "*".
    Validations.of(task).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken has no resource-level permissions; CDK scopes the rest.' });
    Validations.of(instanceRole).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'The ECS agent\'s poll and telemetry actions have no resource-level permissions.' });
    Validations.of(instanceRole).acknowledge({ id: 'AwsSolutions-IAM5[Action::ecs:Submit*]', reason: 'The ECS agent reports task and container state with the ecs:Submit* family, scoped to this cluster by CDK.' });

    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: 0,
      minHealthyPercent: 0,
      // A worker that cannot start (a bad image, a crash at start-up) fails the deploy within minutes and rolls it back, instead of CloudFormation waiting up to three hours.
      circuitBreaker: { enable: true, rollback: true },
      capacityProviderStrategies: [{ capacityProvider: provider.capacityProviderName, weight: 1 }],
    });
    // From zero and back, on one expression over both queues (workLevel): one step policy,
    // so scale-in and scale-out never act at once. In flight alone holds the count.
    const scaling = this.service.autoScaleTaskCount({ minCapacity: 0, maxCapacity: maxWorkers });
    scaling.scaleOnMetric('Backlog', {
      metric: workLevel(props.queue, props.overflowQueue, s.fullScaleBacklog, s.overflowBacklog),
      scalingSteps: [
        { upper: WORK.idle, change: -maxWorkers },
        { lower: WORK.waiting, change: +1 },
        { lower: WORK.fullScale, change: +maxWorkers },
      ],
      adjustmentType: autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: s.scalingCooldown,
    });
    this.cluster = cluster;
  }
}
