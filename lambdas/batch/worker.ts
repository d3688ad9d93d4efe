/**
 * The long-running batch worker: the GPU container on ECS (and any process that should
 * drain the ingest queue outside Lambda). It polls the queue and runs the same Lambda
 * handler with the same SQS event shape, so both paths share every line of processing.
 * ONNX Runtime uses the CUDA execution provider where the container has a GPU (see
 * Dockerfile); otherwise the CPU. SIGTERM (ECS scale-in) finishes the current batch first.
 *
 *   NERVE_QUEUE_URL=... NERVE_INDEX_TABLE=... node --import tsx lambdas/batch/worker.ts
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, readEnv } from '../shared/env.js';
import { startQueuePoller } from './queue-poller.js';

const queueUrls = [readEnv(ENV.queueUrl), process.env[ENV.overflowQueueUrl]].filter((u): u is string => !!u);
const { handler } = await import('./handler.js');
// The regional (or configured) endpoint serves every queue of the region; emulators' queue URLs name no real host.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
// Its own queue (large files) and, when configured, the Lambda queue's overflow.
const pollers = queueUrls.map((url) => startQueuePoller(sqs, url, (event) => handler(event, { functionName: 'nerve-worker' } as never)));
console.log(`nerve worker: polling ${queueUrls.join(' and ')}`);

const stop = async (signal: string) => {
  console.log(`nerve worker: ${signal}, finishing the current batch`);
  await Promise.all(pollers.map((p) => p.stop()));
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
