/**
 * GPU workers: ECS tasks on ECS Managed Instances (Fargate has no GPUs), running the same
 * batch code in a container (Dockerfile.worker, which carries the batch model only) with
 * ONNX Runtime's CUDA provider. ECS picks, launches, patches and retires the instances from
 * NVIDIA instance requirements (one GPU, x86_64, on-demand or Spot), so there is no Auto
 * Scaling group, launch template or AMI to keep. The service scales from zero on the GPU
 * queue (large files) and the main queue's backlog (overflow), and back to zero only when
 * the GPU queue holds nothing, waiting or in flight, so no busy worker is stopped by
 * scale-in; and a busy worker protects its own task from scale-in (ECS task scale-in
 * protection, lambdas/batch/task-protection.ts) while it holds messages, which covers the
 * overflow batches the expression does not count. ECS then retires the idle instances. Instances and tasks live in isolated
 * subnets (no public IP, no route out) and reach AWS through VPC endpoints.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Size, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
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
import { ConfigError, NerveError } from '../lambdas/shared/errors.js';
import { withDefaults, type Settings } from './defaults.js';
import { grantIndex, grantIngestRead } from './grants.js';
import { INGEST_PIPELINE_DEFAULTS } from './ingest-pipeline.js';
import { assembled, filesIn, linkOrCopy, stamps } from '../layers/build.js';
import { shippedModels, type ShippedModels } from '../layers/models.js';
import { repoPath } from './lambda-function.js';
import type { WordSearch } from './word-search.js';

export interface GpuWorkersProps {
  readonly table: dynamodb.ITableV2;
  readonly bucket: s3.IBucket;
  /** Large files, forwarded by the batch function. */
  readonly queue: sqs.IQueue;
  /** The main ingest queue, drained when it backs up. */
  readonly overflowQueue: sqs.IQueue;
  /**
   * On-demand instances, or Spot (cheaper, and interruptible: ECS stops the task with two
   * minutes' notice, the worker finishes its batch or its lease lets another worker take the
   * document over). @default 'on-demand'
   */
  readonly capacity?: GpuCapacity;
  /**
   * Instance types ECS may choose among, besides the requirements (one NVIDIA GPU, x86_64,
   * the vCPUs and memory below). @default g4dn, g5, g6 and g6e: T4, A10G, L4 and L40S GPUs, all CUDA 12
   */
  readonly allowedInstanceTypes?: readonly string[];
  /** Most workers (and GPU instances) at once. @default 4 */
  readonly maxWorkers?: number;
  /** Main-queue backlog (messages) above which GPU workers help the batch function. @default 500 */
  readonly overflowBacklog?: number;
  /** The batch model in the image. @default the batch function's ('ensemble') */
  readonly model?: string;
  /** The folder holding `model` (anywhere: the image's build context is assembled from it at synth). @default the repository's models/ */
  readonly modelsDir?: string;
  /** The full-text engine the workers write documents' words to (lib/word-search.ts), reached through a VPC endpoint of its own. @default - none: words are indexed through DynamoDB terms only */
  readonly words?: WordSearch;
}

export const GPU_CAPACITIES = ['on-demand', 'spot'] as const;
export type GpuCapacity = (typeof GPU_CAPACITIES)[number];

export const GPU_WORKERS_DEFAULTS = {
  capacity: 'on-demand' as GpuCapacity,
  allowedInstanceTypes: ['g4dn.*', 'g5.*', 'g6.*', 'g6e.*'] as readonly string[],
  maxWorkers: 4,
  overflowBacklog: 500,
  model: INGEST_PIPELINE_DEFAULTS.model,
  modelsDir: repoPath('models'),
  // No props: these follow the default instance type and the worker's code.
  /** vCPUs an instance has: 4 to 8 (a g5.xlarge has 4, a g5.2xlarge 8). */
  vcpus: { min: 4, max: 8 },
  /** An instance's memory: at least 16 GiB (the task reserves 12). */
  instanceMemoryMiB: 16 * 1024,
  /** The task's CPU units: three vCPUs (the GPU does the inference; the CPU decodes and writes). */
  taskCpuUnits: 3 * 1024,
  /** ONNX Runtime's intra-op threads (for what runs on the CPU): one per vCPU the task asks for. */
  intraOpThreads: 4,
  /** A worker's lease on a document (lambdas/index/leases.ts): the longest one large file may take before another worker may take it over. */
  leaseSeconds: 900,
  /** Most of the instance's memory, leaving the rest to the OS and the ECS agent. */
  memoryReservationMiB: 12 * 1024,
  /** How long ECS waits after SIGTERM: the worker finishes its current batch (lambdas/batch/worker.ts). */
  stopTimeout: Duration.seconds(120),
  /** The task volume: the image, the models and room for documents in flight. */
  taskVolumeGiB: 60,
  /** GPU-queue depth at which every worker starts at once instead of one more. */
  fullScaleBacklog: 50,
  scalingCooldown: Duration.minutes(2),
};

/**
 * The worker image's build context, assembled at synth: Dockerfile.worker, the package
 * files, lambdas/ (the code it runs) and exactly the batch model's files (layers/models.ts),
 * at their paths in the models folder (hard links where the file system allows). Nothing
 * else is sent to Docker, and the models folder may be anywhere. Once per content
 * (layers/build.ts's assembled), so that synths at once never rebuild it under each other.
 */
function workerContext(model: string, models: ShippedModels): string {
  const files = ['Dockerfile.worker', 'package.json', 'package-lock.json', '.npmrc'];
  const key = [model, ...stamps([...files.map(repoPath), ...filesIn(repoPath('lambdas')), ...models.files.map((f) => join(models.modelsDir, f))])];
  return assembled('worker', key, (context) => {
    for (const file of files) cpSync(repoPath(file), join(context, file));
    cpSync(repoPath('lambdas'), join(context, 'lambdas'), { recursive: true });
    for (const file of models.files) linkOrCopy(join(models.modelsDir, file), join(context, 'models', file));
  });
}

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
  if (!(GPU_CAPACITIES as readonly string[]).includes(s.capacity)) problems.push(`capacity must be ${GPU_CAPACITIES.join(' or ')}, got "${s.capacity}"`);
  if (s.allowedInstanceTypes.length === 0) problems.push('allowedInstanceTypes must name at least one instance type (wildcards allowed: g5.*)');
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
  public readonly service: ecs.FargateService;
  public readonly capacityProvider: ecs.ManagedInstancesCapacityProvider;

  constructor(scope: Construct, id: string, props: GpuWorkersProps) {
    super(scope, id);
    const s = withDefaults(props, GPU_WORKERS_DEFAULTS);
    const problems = problemsOf(s);
    let models: ShippedModels | undefined;
    try {
      models = shippedModels(s.modelsDir, [s.model]);
    } catch (e) {
      if (!(e instanceof NerveError)) throw e;
      problems.push(`model "${s.model}" cannot be shipped from ${s.modelsDir}: ${e.message}`);
    }
    if (problems.length > 0 || !models) throw new ConfigError(`GpuWorkers ${id}: ${problems.join('; ')}`, { construct: id, problems });
    const { maxWorkers } = s;

    // Isolated subnets: no internet gateway, no NAT, no public IP. AWS is reached through
    // VPC endpoints: gateways for S3 (the image's layers, documents) and DynamoDB, interfaces for the rest.
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogGroup', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })) });
    // One group for the instances and the tasks' network interfaces (awsvpc): nothing comes in.
    const securityGroup = new ec2.SecurityGroup(this, 'InstanceSecurity', { vpc, allowAllOutbound: true, description: 'Nerve GPU workers: no inbound traffic' });
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    const endpointSecurity = new ec2.SecurityGroup(this, 'EndpointSecurity', { vpc, allowAllOutbound: false, description: 'Nerve GPU workers: VPC endpoints, HTTPS from the GPU instances' });
    endpointSecurity.addIngressRule(securityGroup, ec2.Port.tcp(443), 'HTTPS from the GPU instances');
    for (const [endpointId, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      vpc.addInterfaceEndpoint(endpointId, { service, securityGroups: [endpointSecurity], open: false, privateDnsEnabled: true });
    }

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const subnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    // ECS Managed Instances: ECS chooses among the instance types that meet these
    // requirements, launches one when a task cannot be placed, and retires it when idle.
    const provider = new ecs.ManagedInstancesCapacityProvider(this, 'Capacity', {
      subnets: subnets.subnets,
      securityGroups: [securityGroup],
      capacityOptionType: s.capacity === 'spot' ? ecs.CapacityOptionType.SPOT : ecs.CapacityOptionType.ON_DEMAND,
      taskVolumeStorage: Size.gibibytes(s.taskVolumeGiB),
      instanceRequirements: {
        acceleratorTypes: [ec2.AcceleratorType.GPU],
        acceleratorManufacturers: [ec2.AcceleratorManufacturer.NVIDIA],
        // One GPU: the task uses one, and a second would sit idle at twice the price.
        acceleratorCountMin: 1,
        acceleratorCountMax: 1,
        // x86_64 only: the image and onnxruntime-node's CUDA provider are linux/amd64.
        cpuManufacturers: [ec2.CpuManufacturer.INTEL, ec2.CpuManufacturer.AMD],
        vCpuCountMin: s.vcpus.min,
        vCpuCountMax: s.vcpus.max,
        memoryMin: Size.mebibytes(s.instanceMemoryMiB),
        allowedInstanceTypes: [...s.allowedInstanceTypes],
        instanceGenerations: [ec2.InstanceGeneration.CURRENT],
        burstablePerformance: ec2.BurstablePerformance.EXCLUDED,
        bareMetal: ec2.BareMetal.EXCLUDED,
      },
    });
    cluster.addManagedInstancesCapacityProvider(provider);
    // The construct's own roles: the infrastructure role ECS launches and retires instances with, and the instances' profile.
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForManagedInstances]',
      reason: 'ECS Managed Instances\' infrastructure role: AWS\'s managed policy is the one AWS documents and keeps current for launching and retiring the instances.',
    });
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The ECS agent on Managed Instances polls and reports with actions that have no resource-level permissions; CDK scopes the instance profile\'s policy otherwise.',
    });
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:container-instance/*]',
      reason: 'The ECS agent polls and sends telemetry as its own container instance, whose ARN exists only once ECS registers the instance; CDK scopes it to this account and region.',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // awsvpc: Managed Instances' one network mode; each task has its own interface in the isolated subnets.
    const task = new ecs.TaskDefinition(this, 'Task', {
      compatibility: ecs.Compatibility.MANAGED_INSTANCES,
      networkMode: ecs.NetworkMode.AWS_VPC,
      // Three of a 4-vCPU instance's four: room for the ECS agent and the OS, or the task would never be placed.
      cpu: String(s.taskCpuUnits),
      memoryMiB: String(s.memoryReservationMiB),
    });
    task.addContainer('worker', {
      // Exactly the batch model: the build context holds its files and nothing else of the models folder (workerContext).
      image: ecs.ContainerImage.fromAsset(workerContext(s.model, models), {
        file: 'Dockerfile.worker',
        // x86_64 instances, and the CUDA provider onnxruntime-node downloads is linux/x64's: also when built on an arm64 machine.
        platform: Platform.LINUX_AMD64,
        buildArgs: { BATCH_MODEL: s.model },
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
        // Set explicitly, so that the SDK never asks the instance's metadata service for it.
        AWS_REGION: Stack.of(this).region,
        ...props.words?.environment,
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
    if (props.words) {
      props.words.grantWrite(task.taskRole);
      // No route out of the isolated subnets: the collection through a VPC endpoint, HTTPS from the tasks' group only.
      props.words.allowFromVpc(vpc, subnets, securityGroup);
    }
    // Task scale-in protection: the worker protects its own task while it holds messages (lambdas/batch/task-protection.ts),
    // through the ECS agent, which calls UpdateTaskProtection with the task role. Its own task's ARN exists only at run time: this cluster's tasks.
    const clusterTasks = Stack.of(this).formatArn({ service: 'ecs', resource: 'task', resourceName: `${cluster.clusterName}/*` });
    task.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateTaskProtection'], resources: [clusterTasks] }));
    Validations.of(task.taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${Stack.of(this).resolve((cluster.node.defaultChild as CfnResource).logicalId)}>/*]`,
      reason: 'A worker protects its own task from scale-in, and a task\'s ARN exists only once ECS starts it; scoped to this cluster\'s tasks, and to UpdateTaskProtection only.',
    });
    Validations.of(task).acknowledge({ id: 'AwsSolutions-ECS2', reason: 'The environment holds resource names only, no secrets.' });
    // ECS's own roles, as CDK writes them: the image pull needs this on "*".
    Validations.of(task).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken has no resource-level permissions; CDK scopes the rest.' });

    // CDK's service class for a capacity-provider strategy on Managed Instances (its documented form); the tasks run on the GPU instances above, not on Fargate.
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: 0,
      minHealthyPercent: 0,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [securityGroup],
      assignPublicIp: false,
      // A worker that cannot start (a bad image, a crash at start-up) fails the deploy within minutes and rolls it back, instead of CloudFormation waiting up to three hours.
      circuitBreaker: { enable: true, rollback: true },
      capacityProviderStrategies: [{ capacityProvider: provider.capacityProviderName, weight: 1 }],
    });
    this.capacityProvider = provider;
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
