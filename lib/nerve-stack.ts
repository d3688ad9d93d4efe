/**
 * The Nerve stack: composes one construct per capability. Settings come from props,
 * which bin/app.ts fills from CDK context (see the README's "Deploy"); each default
 * is the construct's own (its *_DEFAULTS), never repeated here. Its outputs name what a
 * user's first commands need (`nerve ingest --bucket --table`, `nerve search --url`,
 * redriving a dead-letter queue, the dashboard).
 */
import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { buildModelsLayer, buildOnnxRuntimeLayer } from '../layers/build.js';
import { INGEST_PREFIX } from '../lambdas/batch/settings.js';
import { LAMBDA_MODELS_DIR } from '../lambdas/shared/contract.js';
import { EntityIndex } from './entity-index.js';
import { GpuWorkers, type GpuWorkersProps } from './gpu-workers.js';
import { INGEST_PIPELINE_DEFAULTS, IngestPipeline, type IngestPipelineProps } from './ingest-pipeline.js';
import { LAMBDA_DEFAULTS, repoPath } from './lambda-function.js';
import { Observability, type ObservabilityProps } from './observability.js';
import { ONLINE_API_DEFAULTS, OnlineApi, type OnlineApiProps } from './online-api.js';
import { QueryApi } from './query-api.js';

export interface NerveStackProps extends StackProps {
  /** Options of the online API (auth, throttling, CORS, concurrency); search uses its model and memory size too. */
  readonly online?: Omit<OnlineApiProps, 'onnxRuntimeLayer' | 'modelsLayer'>;
  /** Options of the batch path (model, concurrency, GPU threshold). */
  readonly ingest?: Omit<IngestPipelineProps, 'table' | 'onnxRuntimeLayer' | 'modelsLayer' | 'gpuQueue'>;
  /** GPU workers on ECS; `false` leaves them out, and their queue: the batch function then processes large files too. @default {} (enabled, scaled to zero) */
  readonly gpuWorkers?: Omit<GpuWorkersProps, 'table' | 'bucket' | 'queue' | 'overflowQueue' | 'model' | 'modelsDir'> | false;
  /** Folder holding the model folders to ship (your own models, too). @default the repository's models/ */
  readonly modelsDir?: string;
  /** Alarm thresholds. @default OBSERVABILITY_DEFAULTS */
  readonly observability?: Omit<ObservabilityProps, 'api' | 'online' | 'search' | 'documents' | 'batch' | 'queues' | 'gpuService' | 'alarmActions'>;
  /** An SNS topic that every alarm notifies. @default - none: alarms show on the dashboard and in the console */
  readonly alarmTopicArn?: string;
}

export class NerveStack extends Stack {
  public readonly online: OnlineApi;
  public readonly query: QueryApi;
  public readonly onnxRuntimeLayer: lambda.LayerVersion;
  public readonly modelsLayer: lambda.LayerVersion;
  public readonly batchModelsLayer: lambda.LayerVersion;
  public readonly index: EntityIndex;
  public readonly ingest: IngestPipeline;
  /** Present unless `gpuWorkers: false`. */
  public readonly gpuWorkers?: GpuWorkers;
  public readonly observability: Observability;

  constructor(scope: Construct, id: string, props: NerveStackProps = {}) {
    super(scope, id, props);
    // The layers are built here because two constructs share each: they must hold the models those constructs name.
    const model = props.online?.model ?? ONLINE_API_DEFAULTS.model;
    const batchModel = props.ingest?.model ?? INGEST_PIPELINE_DEFAULTS.model;
    const modelsDir = props.modelsDir ?? repoPath('models');
    this.onnxRuntimeLayer = new lambda.LayerVersion(this, 'OnnxRuntime', {
      code: lambda.Code.fromAsset(buildOnnxRuntimeLayer()),
      compatibleRuntimes: [LAMBDA_DEFAULTS.runtime],
      compatibleArchitectures: [LAMBDA_DEFAULTS.architecture],
      description: 'onnxruntime-node, linux-x64 binaries only',
    });
    const modelsLayer = (layerId: string, name: string, folder?: string) =>
      new lambda.LayerVersion(this, layerId, {
        code: lambda.Code.fromAsset(buildModelsLayer(modelsDir, [name], folder)),
        compatibleRuntimes: [LAMBDA_DEFAULTS.runtime],
        description: `Nerve models under ${LAMBDA_MODELS_DIR}: ${name}`,
      });
    this.modelsLayer = modelsLayer('Models', model);
    this.batchModelsLayer = modelsLayer('BatchModels', batchModel, 'batch-models');

    this.index = new EntityIndex(this, 'Index');
    const queryLayers = { onnxRuntimeLayer: this.onnxRuntimeLayer, modelsLayer: this.modelsLayer };
    this.online = new OnlineApi(this, 'Online', { ...props.online, ...queryLayers });
    this.query = new QueryApi(this, 'Query', { ...queryLayers, api: this.online.api, table: this.index.table, model, memorySize: props.online?.memorySize });
    // CDK's own bucket-notifications custom resource uses the basic execution role.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'Only CDK\'s BucketNotificationsHandler (a deploy-time custom resource) uses the managed basic execution role; Nerve\'s functions have their own scoped roles.',
    });
    const gpuQueue = props.gpuWorkers !== false;
    this.ingest = new IngestPipeline(this, 'Ingest', { ...props.ingest, gpuQueue, table: this.index.table, onnxRuntimeLayer: this.onnxRuntimeLayer, modelsLayer: this.batchModelsLayer });
    if (props.gpuWorkers !== false && this.ingest.gpuQueue) {
      this.gpuWorkers = new GpuWorkers(this, 'GpuWorkers', {
        ...props.gpuWorkers,
        // The image carries the batch model from the same folder as the batch models layer.
        model: batchModel,
        modelsDir,
        table: this.index.table,
        bucket: this.ingest.bucket,
        queue: this.ingest.gpuQueue,
        overflowQueue: this.ingest.queue,
      });
    }

    const [ingestDeadLetters, gpuDeadLetters] = this.ingest.deadLetterAlarms;
    const queues = [{ label: 'Ingest', queue: this.ingest.queue, deadLetterQueue: this.ingest.deadLetterQueue, deadLetterAlarm: ingestDeadLetters! }];
    if (this.ingest.gpuQueue && this.ingest.gpuDeadLetterQueue) queues.push({ label: 'Gpu', queue: this.ingest.gpuQueue, deadLetterQueue: this.ingest.gpuDeadLetterQueue, deadLetterAlarm: gpuDeadLetters! });
    this.observability = new Observability(this, 'Observability', {
      ...props.observability,
      api: this.online.api,
      online: this.online.liveAlias,
      search: this.query.searchFunction,
      documents: this.query.documentsFunction,
      batch: this.ingest.function,
      queues,
      gpuService: this.gpuWorkers?.service,
      alarmActions: props.alarmTopicArn ? [new SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn))] : undefined,
    });

    // Stack-level ids, so that each output's key is its name (ApiUrl is the online API's own output).
    const output = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    output('DocumentsBucket', this.ingest.bucket.bucketName, `The documents bucket: files under ${INGEST_PREFIX} are indexed (nerve ingest --bucket)`);
    output('IndexTable', this.index.table.tableName, 'The entity index (nerve ingest --table)');
    for (const q of queues) {
      output(`${q.label}QueueUrl`, q.queue.queueUrl, `The ${q.label.toLowerCase()} queue`);
      output(`${q.label}DeadLetterQueueUrl`, q.deadLetterQueue.queueUrl, `Messages of the ${q.label.toLowerCase()} queue that failed every retry (redrive them from here)`);
    }
    output('DashboardUrl', this.observability.dashboardUrl, 'The CloudWatch dashboard');
  }
}
