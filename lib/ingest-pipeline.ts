/**
 * The batch path's front half: the documents bucket, whose object-created and
 * object-removed events under the ingest prefix go to an SQS queue, and the batch
 * function that consumes it (partial batch responses, bounded concurrency, a
 * dead-letter queue after a few receives, an alarm on the dead-letter queue).
 *
 * Routing (why this mechanism): S3 notifications cannot filter on size, and EventBridge
 * rules could, but would change the event shape the handlers read. So every event goes
 * to one queue; the batch function forwards a file over `gpuThresholdBytes` to the GPU
 * workers' queue untouched, and the GPU workers also drain this queue when it backs up
 * (overflow). One event shape, one code path, two kinds of compute. Without GPU workers
 * (`gpuQueue: false`) there is no GPU queue, and the function processes every file itself.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { BATCH_FUNCTION_TIMEOUT_SECONDS, INGEST_PREFIX, QUEUE_SETTINGS } from '../lambdas/batch/settings.js';
import { batchModelThreads, lambdaVcpus, LAMBDA_MODELS_DIR, METRICS_NAMESPACE, SERVICES } from '../lambdas/shared/contract.js';
import { ENV } from '../lambdas/shared/env.js';
import { ConfigError } from '../lambdas/shared/errors.js';
import { withDefaults, type Settings } from './defaults.js';
import { grantIndex, grantIngestRead } from './grants.js';
import type { ModelCode } from './model-code.js';
import { memoryProblems, nerveFunction } from './lambda-function.js';
import type { WordSearch } from './word-search.js';

export interface IngestPipelineProps {
  readonly table: dynamodb.ITableV2;
  /** onnxruntime-node, tokenizers where needed and the batch model under LAMBDA_MODELS_DIR: layers, or a container image (lib/model-code.ts). */
  readonly modelCode: ModelCode;
  /** The batch model's name under LAMBDA_MODELS_DIR. @default 'ensemble' */
  readonly model?: string;
  /** Most concurrent batch function invocations. @default 10 */
  readonly maxConcurrency?: number;
  /**
   * Messages per invocation. The batch's documents share model calls (engine/coalesce.ts),
   * so fuller batches infer faster. Ten files just under the GPU threshold must still finish
   * inside the function timeout: check against the ensemble's throughput on the function's
   * vCPUs in bench/results/model-ensemble.json (`batched`) and bench/results/batch-ensemble.json. @default 10
   */
  readonly batchSize?: number;
  /**
   * Files larger than this go to the GPU workers, so that no one file keeps the function
   * near its timeout. In tokens: divide by the characters per token of the benchmark corpus
   * (bench/results/batch-ensemble.json, `characters` over `tokens`). @default 512 KiB
   */
  readonly gpuThresholdBytes?: number;
  /** Largest file read at all; larger ones are marked failed. @default 50 MiB */
  readonly maxObjectBytes?: number;
  /** Memory of the batch function in MB (3,538 MB is two vCPUs). @default 3538 */
  readonly memorySize?: number;
  /**
   * Whether GPU workers consume a GPU queue: false creates none, and the batch function
   * then processes large files itself (no file is parked where nothing reads it). @default true
   */
  readonly gpuQueue?: boolean;
  /**
   * Days an overwritten or deleted document's old version is kept in the versioned bucket.
   * At least the queues' retention (14 days): a queued event names the version it reads. @default 30
   */
  readonly noncurrentVersionDays?: number;
  /** The full-text engine the batch function writes documents' words to (lib/word-search.ts). @default - none: words are indexed through DynamoDB terms only */
  readonly words?: WordSearch;
}

export const INGEST_PIPELINE_DEFAULTS = {
  model: 'ensemble',
  maxConcurrency: 10,
  batchSize: 10,
  gpuThresholdBytes: 512 * 1024,
  maxObjectBytes: 50 * 1024 * 1024,
  memorySize: 3538,
  gpuQueue: true,
  noncurrentVersionDays: 30,
  /** No prop: days after which an upload never completed is aborted (its parts cost storage). */
  abortIncompleteUploadDays: 7,
} as const;

/** Days a message stays in a queue, dead-letter queues included. */
const QUEUE_RETENTION_DAYS = 14;

/** Every problem with the settings, so that one synth reports them all. */
function problemsOf(s: Settings<IngestPipelineProps, typeof INGEST_PIPELINE_DEFAULTS>, props: IngestPipelineProps): string[] {
  const problems: string[] = [];
  const { maxConcurrency, batchSize, gpuThresholdBytes, maxObjectBytes } = s;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) problems.push(`maxConcurrency must be an integer from 2 to 1000 (SQS event source limits), got ${maxConcurrency}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) problems.push(`batchSize must be 1 to 10, got ${batchSize}`);
  if (!Number.isInteger(gpuThresholdBytes) || gpuThresholdBytes < 1) problems.push(`gpuThresholdBytes must be a positive integer, got ${gpuThresholdBytes}`);
  if (!Number.isInteger(maxObjectBytes) || maxObjectBytes < 1) problems.push(`maxObjectBytes must be a positive integer, got ${maxObjectBytes}`);
  problems.push(...memoryProblems('memorySize', s.memorySize));
  const days = s.noncurrentVersionDays;
  if (!Number.isInteger(days) || days < QUEUE_RETENTION_DAYS) problems.push(`noncurrentVersionDays must be an integer ≥ ${QUEUE_RETENTION_DAYS} (the queues' retention: a queued event names its version), got ${days}`);
  if (!s.gpuQueue && props.gpuThresholdBytes !== undefined) problems.push('gpuThresholdBytes has no effect without the GPU queue (gpuQueue: false): leave it unset');
  return problems;
}

export class IngestPipeline extends Construct {
  public readonly bucket: s3.IBucket;
  public readonly queue: sqs.IQueue;
  public readonly deadLetterQueue: sqs.IQueue;
  /** Where large files go; the GPU workers consume it. Absent with `gpuQueue: false`. */
  public readonly gpuQueue?: sqs.IQueue;
  public readonly gpuDeadLetterQueue?: sqs.IQueue;
  public readonly function: lambda.IFunction;
  /** One per dead-letter queue (the ingest queue's, then the GPU queue's): a message there raises it. */
  public readonly deadLetterAlarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: IngestPipelineProps) {
    super(scope, id);
    const s = withDefaults(props, INGEST_PIPELINE_DEFAULTS);
    const problems = problemsOf(s, props);
    if (problems.length > 0) throw new ConfigError(`IngestPipeline ${id}: ${problems.join('; ')}`, { construct: id, problems });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bucket = new s3.Bucket(this, 'Documents', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      // Old versions go once no queued event can name them; then their delete markers.
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(s.noncurrentVersionDays),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(s.abortIncompleteUploadDays),
        },
      ],
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'documents/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = bucket;

    const queuePair = (name: string) => {
      const dlq = new sqs.Queue(this, `${name}DeadLetters`, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(QUEUE_RETENTION_DAYS) });
      const queue = new sqs.Queue(this, name, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(QUEUE_SETTINGS.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(QUEUE_RETENTION_DAYS),
        deadLetterQueue: { queue: dlq, maxReceiveCount: QUEUE_SETTINGS.maxReceiveCount },
      });
      return { queue, dlq };
    };
    const main = queuePair('Queue');
    const gpu = s.gpuQueue ? queuePair('GpuQueue') : undefined;
    this.queue = main.queue;
    this.deadLetterQueue = main.dlq;
    this.gpuQueue = gpu?.queue;
    this.gpuDeadLetterQueue = gpu?.dlq;
    this.deadLetterAlarms = [main.dlq, ...(gpu ? [gpu.dlq] : [])].map(
      (dlq, i) =>
        new cloudwatch.Alarm(this, i === 0 ? 'DeadLettersAlarm' : 'GpuDeadLettersAlarm', {
          metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: 'Documents that failed after every retry are waiting in a dead-letter queue: inspect and redrive them.',
        }),
    );

    for (const event of [s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_REMOVED]) {
      bucket.addEventNotification(event, new s3n.SqsDestination(main.queue), { prefix: INGEST_PREFIX });
    }

    const threads = batchModelThreads(lambdaVcpus(s.memorySize));
    const { fn, role } = nerveFunction(this, 'Function', {
      entry: 'lambdas/batch/handler.ts',
      description: 'Nerve batch NER: S3 events from the ingest queue into the entity index',
      memorySize: s.memorySize,
      timeout: Duration.seconds(BATCH_FUNCTION_TIMEOUT_SECONDS),
      modelCode: props.modelCode,
      modelWorker: true,
      environment: {
        [ENV.batchModel]: s.model,
        [ENV.modelsDir]: LAMBDA_MODELS_DIR,
        [ENV.indexTable]: props.table.tableName,
        [ENV.leaseSeconds]: String(BATCH_FUNCTION_TIMEOUT_SECONDS),
        [ENV.maxObjectBytes]: String(s.maxObjectBytes),
        // Unset without a GPU queue: the handler then processes large files itself.
        ...(gpu ? { [ENV.gpuQueueUrl]: gpu.queue.queueUrl, [ENV.gpuThresholdBytes]: String(s.gpuThresholdBytes) } : {}),
        // One model thread per vCPU, each with one intra-op thread: why, in batchModelThreads.
        [ENV.modelWorkers]: String(threads.workers),
        [ENV.intraOpThreads]: String(threads.intraOpThreads),
        POWERTOOLS_SERVICE_NAME: SERVICES.batch,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.words?.environment,
      },
    });
    props.words?.grantWrite(role);
    grantIngestRead(role, bucket);
    grantIndex(role, props.table, 'readWrite');
    gpu?.queue.grantSendMessages(role);
    // A change whose file another worker holds goes back to its own queue, delayed (lambdas/batch/handler.ts).
    main.queue.grantSendMessages(role);
    fn.addEventSource(new SqsEventSource(main.queue, { batchSize: s.batchSize, maxConcurrency: s.maxConcurrency, reportBatchItemFailures: true }));
    this.function = fn;
  }
}
