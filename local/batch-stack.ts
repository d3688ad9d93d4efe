/**
 * The batch half of the local stack: emulators, the index table, the ingest queue with
 * its dead-letter queue, the documents bucket behind the S3 event proxy, and the queue
 * batch Lambda handler in concurrent execution environments (batch-environments.ts),
 * all on 127.0.0.1. With a data folder and a bucket folder, the index and the bucket
 * are kept on disk, and each start reconciles the index with the bucket (reconcile.ts),
 * so that what the in-memory queue held when the stack stopped is not lost.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { ENV } from '../lambdas/shared/env.js';
import { INGEST_PREFIX } from '../lambdas/batch/settings.js';
import { localAwsEnvironment, type LocalConfig } from './config.js';
import { createBucket, createIndexTable, createIngestQueues, startEmulators, type Emulators } from './emulators.js';
import { startBatchEnvironments } from './batch-environments.js';
import { reconcileIndex, type ReconcileResult } from './reconcile.js';
import { startS3EventProxy } from './s3-events.js';

export const LOCAL_NAMES = { bucket: 'nerve-documents', table: 'nerve-index', queue: 'nerve-ingest' } as const;

export interface BatchStack {
  readonly config: LocalConfig;
  readonly emulators: Emulators;
  /** The start-up reconciliation, running once the stack is up; undefined when the bucket is in memory. */
  readonly reconciled?: Promise<ReconcileResult>;
  /** Stops the environments (a batch stuck longer than `graceMs` is cut short), then everything else. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export interface BatchStackOptions {
  /** Where the index is kept (dynalite's LevelDB); in memory without one. */
  readonly dataDir?: string;
  /** Where the bucket is kept (durable-s3.ts); in memory without one. Reconciliation needs both. */
  readonly bucketDir?: string;
  /** Where the documents' words are kept (word-search.ts); in memory without one. */
  readonly wordsDir?: string;
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
}

export async function startBatchStack({ dataDir, bucketDir, wordsDir, visibilityTimeoutSeconds, maxReceiveCount }: BatchStackOptions = {}): Promise<BatchStack> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const emulators = await startEmulators({ dataDir, bucketDir, wordsDir });
  await createIndexTable(emulators.dynamo, LOCAL_NAMES.table);
  await createBucket(emulators.s3, LOCAL_NAMES.bucket);
  const { queueUrl, dlqUrl } = await createIngestQueues(emulators.sqs, LOCAL_NAMES.queue, { visibilityTimeoutSeconds, maxReceiveCount });
  const proxy: { endpoint: string; server: Server } = await startS3EventProxy({ upstream: emulators.awsEndpoint, sqs: emulators.sqs, queueUrl, prefix: INGEST_PREFIX });

  // The handlers build their AWS clients from the environment, exactly as in Lambda.
  Object.assign(process.env, {
    ...localAwsEnvironment({ dynamodb: emulators.dynamoEndpoint, s3: emulators.awsEndpoint, sqs: emulators.awsEndpoint, words: emulators.wordsEndpoint }),
    [ENV.indexTable]: LOCAL_NAMES.table,
  });
  // Inference is single-threaded per environment; the environments share the cores.
  process.env[ENV.intraOpThreads] ??= '1';
  const startedAt = Date.now();
  const environments = await startBatchEnvironments({ queueUrl });

  const aborter = new AbortController();
  const reconciled =
    dataDir && emulators.bucketsKeptSince !== undefined
      ? reconcileIndex({
          s3: emulators.s3,
          dynamo: emulators.dynamo,
          sqs: emulators.sqs,
          table: LOCAL_NAMES.table,
          bucket: LOCAL_NAMES.bucket,
          prefix: INGEST_PREFIX,
          queueUrl,
          bucketKeptSince: emulators.bucketsKeptSince,
          startedAt,
          signal: aborter.signal,
        })
      : undefined;
  reconciled?.catch(() => undefined); // the caller reads it; stop() must not meet an unhandled rejection

  const config: LocalConfig = {
    s3Endpoint: proxy.endpoint,
    dynamoEndpoint: emulators.dynamoEndpoint,
    sqsEndpoint: emulators.awsEndpoint,
    bucket: LOCAL_NAMES.bucket,
    prefix: INGEST_PREFIX,
    table: LOCAL_NAMES.table,
    queueUrl,
    dlqUrl,
  };
  return {
    config,
    emulators,
    reconciled,
    stop: async ({ graceMs } = {}) => {
      aborter.abort();
      await reconciled?.catch(() => undefined);
      await new Promise<void>((resolve) => {
        proxy.server.close(() => resolve());
        proxy.server.closeAllConnections();
      });
      await environments.stop({ graceMs });
      await emulators.stop();
    },
  };
}
