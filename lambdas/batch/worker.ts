/**
 * The long-running batch worker: the GPU container on ECS (and any process that should
 * drain the ingest queue outside Lambda). It polls the queue and runs the same Lambda
 * handler with the same SQS event shape, so both paths share every line of processing.
 * ONNX Runtime uses the CUDA execution provider where the container has a GPU (see
 * Dockerfile); otherwise the CPU. On ECS (ECS_AGENT_URI set), the task protects itself from
 * scale-in while it holds messages in work and drops the protection once idle
 * (task-protection.ts). SIGTERM (a Spot reclaim, or scale-in of an idle task) stops taking
 * new messages, finishes the current batch, then drops the protection and exits.
 *
 *   NERVE_QUEUE_URL=... NERVE_INDEX_TABLE=... node --import tsx lambdas/batch/worker.ts
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, readEnv } from '../shared/env.js';
import { startQueuePoller } from './queue-poller.js';
import { taskProtection } from './task-protection.js';

const queueUrls = [readEnv(ENV.queueUrl), process.env[ENV.overflowQueueUrl]].filter((u): u is string => !!u);
const { handler } = await import('./handler.js');
// The regional (or configured) endpoint serves every queue of the region; emulators' queue URLs name no real host.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
// One protection for the task, whichever queue's batch holds it; nothing outside ECS.
const protection = taskProtection({ agentUri: process.env.ECS_AGENT_URI });
// Its own queue (large files) and, when configured, the Lambda queue's overflow.
const pollers = queueUrls.map((url) => startQueuePoller(sqs, url, (event) => handler(event, { functionName: 'nerve-worker' } as never), { protection }));
console.log(`nerve worker: polling ${queueUrls.join(' and ')}`);

const stop = async (signal: string) => {
  console.log(`nerve worker: ${signal}, finishing the current batch`);
  await Promise.all(pollers.map((p) => p.stop()));
  await protection.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
