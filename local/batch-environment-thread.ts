/**
 * One execution environment of the batch function, in a worker thread: it loads the
 * handler (and so the model) once, as Lambda does, and runs one invocation at a time
 * from the ingest queue with Lambda's SQS semantics. Its AWS clients read the local
 * endpoints from the environment the parent set up before starting it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startQueuePoller } from '../lambdas/batch/queue-poller.js';

const { queueUrl, batchSize } = workerData as { queueUrl: string; batchSize: number };
const { handler } = await import('../lambdas/batch/handler.js');
// The emulator's queue URLs name no real host: the configured endpoint serves them.
const poller = startQueuePoller(new SQSClient({ useQueueUrlAsEndpoint: false }), queueUrl, (event) => handler(event, { functionName: 'nerve-batch-local' } as never), { batchSize });
parentPort!.postMessage('ready');
parentPort!.once('message', async () => {
  await poller.stop();
  parentPort!.postMessage('stopped');
});
