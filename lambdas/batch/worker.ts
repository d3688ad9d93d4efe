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

const queueUrl = readEnv(ENV.queueUrl);
const { handler } = await import('./handler.js');
const poller = startQueuePoller(new SQSClient({}), queueUrl, (event) => handler(event, { functionName: 'nerve-worker' } as never));
console.log(`nerve worker: polling ${queueUrl}`);

const stop = async (signal: string) => {
  console.log(`nerve worker: ${signal}, finishing the current batch`);
  await poller.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
