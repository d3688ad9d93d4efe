/**
 * Lambda entry for the ingest queue: SQS messages carrying S3 event notifications.
 * Partial batch responses: a record that fails is reported in `batchItemFailures` (and
 * logged with its reason, never with document text) and comes back after the visibility
 * timeout; the rest of the batch is done. A change whose file another worker is
 * processing is not a failure: it goes back to its queue with a short delay, so that
 * changes of one key that collide never exhaust their receives into the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CoalescingModel } from '../engine/coalesce.js';
import { loadModel } from '../engine/load.js';
import { METRICS_NAMESPACE, SERVICES } from '../shared/contract.js';
import { ENV, readEnv, readIntEnv } from '../shared/env.js';
import { LeaseTakenError, NerveError } from '../shared/errors.js';
import { tracingFor } from '../shared/tracing.js';
import { changesFromMessage } from './events.js';
import { processChange, type BatchContext } from './process.js';
import { wordIndexFromEnv } from '../words/words.js';

// The GPU workers run this handler too and name themselves (POWERTOOLS_SERVICE_NAME).
const serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICES.batch;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
const tracing = tracingFor(serviceName);

const ctx: BatchContext = {
  store: { client: DynamoDBDocumentClient.from(tracing.client(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } }), table: readEnv(ENV.indexTable), words: wordIndexFromEnv() },
  s3: tracing.client(new S3Client({})),
  // The batch's documents share model calls (see engine/coalesce.ts).
  model: new CoalescingModel(
    // Unset, one copy on one thread; the constructs set one worker per vCPU (shared/contract.ts).
    await loadModel(readEnv(ENV.batchModel, 'ensemble'), {
      workers: readIntEnv(ENV.modelWorkers, 1),
      intraOpThreads: readIntEnv(ENV.intraOpThreads, 1),
      executionProviders: readEnv(ENV.executionProviders, 'cpu').split(','),
    }),
  ),
  maxObjectBytes: readIntEnv(ENV.maxObjectBytes, 50 * 1024 * 1024),
  documentSeconds: readIntEnv(ENV.documentSeconds, 120),
  leaseSeconds: readIntEnv(ENV.leaseSeconds, 900),
  workerId: randomUUID(),
};

// Large files go to the GPU workers' queue when one is configured (see lib/ingest-pipeline.ts).
const gpuQueueUrl = process.env[ENV.gpuQueueUrl];
const gpuThresholdBytes = readIntEnv(ENV.gpuThresholdBytes, 512 * 1024);
// The regional (or configured) endpoint serves every queue of the region; emulators' queue URLs name no real host.
const sqs = tracing.client(new SQSClient({ useQueueUrlAsEndpoint: false }));
const leaseRetrySeconds = readIntEnv(ENV.leaseRetrySeconds, 30);

const queueUrls = new Map<string, Promise<string>>();
/** A record's queue, from its ARN (arn:aws:sqs:region:account:name). */
function queueUrlOf(arn: string): Promise<string> {
  if (!queueUrls.has(arn)) {
    const [, , , , account, name] = arn.split(':');
    queueUrls.set(arn, sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account })).then((o) => o.QueueUrl!));
  }
  return queueUrls.get(arn)!;
}

async function handleRecord(record: SQSRecord): Promise<void> {
  for (const change of changesFromMessage(record.body)) {
    if (gpuQueueUrl && change.kind === 'created' && (change.size ?? 0) > gpuThresholdBytes) {
      await sqs.send(new SendMessageCommand({ QueueUrl: gpuQueueUrl, MessageBody: change.message! }));
      logger.info('change routed to the GPU workers', { key: change.key, size: change.size });
      metrics.addMetric('documents_routed_gpu', MetricUnit.Count, 1);
      continue;
    }
    const started = performance.now();
    let outcome;
    try {
      outcome = await processChange(ctx, change);
    } catch (e) {
      if (!(e instanceof LeaseTakenError)) throw e;
      await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrlOf(record.eventSourceARN), MessageBody: change.message!, DelaySeconds: leaseRetrySeconds }));
      logger.info('change deferred: another worker holds the file', { key: change.key, delaySeconds: leaseRetrySeconds });
      metrics.addMetric('documents_deferred', MetricUnit.Count, 1);
      continue;
    }
    metrics.addMetric(`documents_${outcome}`, MetricUnit.Count, 1);
    // Keys and outcomes only: document text never reaches the logs.
    logger.info('change processed', { kind: change.kind, bucket: change.bucket, key: change.key, outcome, ms: Math.round(performance.now() - started) });
  }
}

/** A failed record is logged with what failed (class, code, message: no document text) before SQS retries it. */
async function loggedRecord(record: SQSRecord): Promise<void> {
  try {
    await handleRecord(record);
  } catch (e) {
    const error = e as Error;
    logger.error('record failed; SQS will retry it', {
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
      error: { name: error.name, message: error.message, ...(e instanceof NerveError ? { code: e.code } : {}) },
    });
    metrics.addMetric('records_failed', MetricUnit.Count, 1);
    throw e;
  }
}

async function processBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  try {
    // A processor per invocation: it holds the invocation's successes and failures, and
    // the local stack runs several invocations at once in one process.
    return await processPartialResponse(event, loggedRecord, new BatchProcessor(EventType.SQS), { context });
  } finally {
    metrics.publishStoredMetrics();
  }
}

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => tracing.invocation(() => processBatch(event, context));
