/**
 * The Nerve stack: composes one construct per capability. Settings come from props,
 * which bin/app.ts fills from CDK context (see the README's "Deploy"); each default
 * is the construct's own (its *_DEFAULTS), never repeated here. Its outputs name what a
 * user's first commands need (`nerve ingest --bucket --table`, `nerve search --url`,
 * redriving a dead-letter queue, the dashboard).
 */
import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { INGEST_PREFIX } from '../lambdas/batch/settings.js';
import { EntityIndex } from './entity-index.js';
import { GpuWorkers, type GpuWorkersProps } from './gpu-workers.js';
import { INGEST_PIPELINE_DEFAULTS, IngestPipeline, type IngestPipelineProps } from './ingest-pipeline.js';
import { repoPath } from './lambda-function.js';
import { ModelPackaging, type ModelCode } from './model-code.js';
import { Observability, type ObservabilityProps } from './observability.js';
import { ONLINE_API_DEFAULTS, OnlineApi, type OnlineApiProps } from './online-api.js';
import { QueryApi } from './query-api.js';
import { WordSearch, type WordSearchProps } from './word-search.js';

export interface NerveStackProps extends StackProps {
  /** Options of the online API (auth, throttling, CORS, concurrency); search uses its model and memory size too. */
  readonly online?: Omit<OnlineApiProps, 'modelCode'>;
  /** Options of the batch path (model, concurrency, GPU threshold). */
  readonly ingest?: Omit<IngestPipelineProps, 'table' | 'modelCode' | 'gpuQueue' | 'words'>;
  /** GPU workers on ECS; `false` leaves them out, and their queue: the batch function then processes large files too. @default {} (enabled, scaled to zero) */
  readonly gpuWorkers?: Omit<GpuWorkersProps, 'table' | 'bucket' | 'queue' | 'overflowQueue' | 'model' | 'modelsDir' | 'words'> | false;
  /**
   * The full-text engine for documents' words (OpenSearch Serverless, lib/word-search.ts), which the batch path
   * writes and search queries; `false` leaves it out, and words are then matched through the entity index's terms.
   * The collection bills a minimum capacity for as long as it exists. @default {} (enabled, WORD_SEARCH_DEFAULTS)
   */
  readonly wordSearch?: WordSearchProps | false;
  /**
   * Folder holding the model folders to ship (your own models, too): it needs only the models the
   * stack runs (and an ensemble's members), and only the files they load are shipped. @default the repository's models/
   */
  readonly modelsDir?: string;
  /** Alarm thresholds. @default OBSERVABILITY_DEFAULTS */
  readonly observability?: Omit<ObservabilityProps, 'api' | 'online' | 'search' | 'documents' | 'batch' | 'queues' | 'gpuService' | 'alarmActions'>;
  /** An SNS topic that every alarm notifies. @default - none: alarms show on the dashboard and in the console */
  readonly alarmTopicArn?: string;
}

export class NerveStack extends Stack {
  public readonly online: OnlineApi;
  public readonly query: QueryApi;
  /** The online and search functions' model code: layers, or an image past Lambda's 250 MB (lib/model-code.ts). */
  public readonly onlineModelCode: ModelCode;
  /** The batch function's. */
  public readonly batchModelCode: ModelCode;
  public readonly index: EntityIndex;
  /** Present unless `wordSearch: false`. */
  public readonly words?: WordSearch;
  public readonly ingest: IngestPipeline;
  /** Present unless `gpuWorkers: false`. */
  public readonly gpuWorkers?: GpuWorkers;
  public readonly observability: Observability;

  constructor(scope: Construct, id: string, props: NerveStackProps = {}) {
    super(scope, id, props);
    // The packaging is chosen here because two constructs share each: it must hold the models those constructs name.
    const model = props.online?.model ?? ONLINE_API_DEFAULTS.model;
    const batchModel = props.ingest?.model ?? INGEST_PIPELINE_DEFAULTS.model;
    const modelsDir = props.modelsDir ?? repoPath('models');
    const packaging = new ModelPackaging(this, modelsDir);
    this.onlineModelCode = packaging.forModels('Models', [model]);
    this.batchModelCode = packaging.forModels('BatchModels', [batchModel]);

    this.index = new EntityIndex(this, 'Index');
    // Before its consumers: each registers its role (and the GPU workers their VPC) as it is built.
    const words = props.wordSearch === false ? undefined : new WordSearch(this, 'Words', props.wordSearch);
    this.words = words;
    this.online = new OnlineApi(this, 'Online', { ...props.online, modelCode: this.onlineModelCode });
    this.query = new QueryApi(this, 'Query', { modelCode: this.onlineModelCode, api: this.online.api, table: this.index.table, model, memorySize: props.online?.memorySize, words });
    // CDK's own bucket-notifications custom resource uses the basic execution role.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'Only CDK\'s BucketNotificationsHandler (a deploy-time custom resource) uses the managed basic execution role; Nerve\'s functions have their own scoped roles.',
    });
    const gpuQueue = props.gpuWorkers !== false;
    this.ingest = new IngestPipeline(this, 'Ingest', { ...props.ingest, gpuQueue, table: this.index.table, modelCode: this.batchModelCode, words });
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
        words,
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
