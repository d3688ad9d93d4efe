/**
 * The batch half of the local stack: emulators, the index table, the ingest queue with
 * its dead-letter queue, the documents bucket behind the S3 event proxy, and the queue
 * batch Lambda handler in concurrent execution environments (batch-environments.ts),
 * all on 127.0.0.1.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { ENV } from '../lambdas/shared/env.js';
import { INGEST_PREFIX } from '../lambdas/batch/settings.js';
import { localAwsEnvironment, type LocalConfig } from './config.js';
import { createBucket, createIndexTable, createIngestQueues, startEmulators, type Emulators } from './emulators.js';
import { startBatchEnvironments } from './batch-environments.js';
import { startS3EventProxy } from './s3-events.js';

export const LOCAL_NAMES = { bucket: 'nerve-documents', table: 'nerve-index', queue: 'nerve-ingest' } as const;

export interface BatchStack {
  readonly config: LocalConfig;
  readonly emulators: Emulators;
  stop(): Promise<void>;
}

export async function startBatchStack({ dataDir, visibilityTimeoutSeconds, maxReceiveCount }: { dataDir?: string; visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): Promise<BatchStack> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const emulators = await startEmulators({ dataDir });
  await createIndexTable(emulators.dynamo, LOCAL_NAMES.table);
  await createBucket(emulators.s3, LOCAL_NAMES.bucket);
  const { queueUrl, dlqUrl } = await createIngestQueues(emulators.sqs, LOCAL_NAMES.queue, { visibilityTimeoutSeconds, maxReceiveCount });
  const proxy: { endpoint: string; server: Server } = await startS3EventProxy({ upstream: emulators.awsEndpoint, sqs: emulators.sqs, queueUrl, prefix: INGEST_PREFIX });

  // The handlers build their AWS clients from the environment, exactly as in Lambda.
  Object.assign(process.env, {
    ...localAwsEnvironment({ dynamodb: emulators.dynamoEndpoint, s3: emulators.awsEndpoint, sqs: emulators.awsEndpoint }),
    [ENV.indexTable]: LOCAL_NAMES.table,
  });
  // Inference is single-threaded per environment; the environments share the cores.
  process.env[ENV.intraOpThreads] ??= '1';
  const environments = await startBatchEnvironments({ queueUrl });

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
    stop: async () => {
      await environments.stop();
      await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
      proxy.server.closeAllConnections();
      await emulators.stop();
    },
  };
}
