/**
 * One execution environment of the batch function, in a worker thread: it loads the
 * handler (and so the model) once, as Lambda does, and runs one invocation at a time
 * from the ingest queue with Lambda's SQS semantics. Its AWS clients read the local
 * endpoints from the environment the parent set up before starting it.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startQueuePoller } from '../lambdas/batch/queue-poller.js';

/**
 * Test hook, for the tests of stopping and crashing with work in progress: reading an
 * object whose key contains NERVE_LOCAL_TEST_HANG_KEY spins forever, synchronously, as a
 * reader or a model stuck in a loop would (holding the file's lease, deaf to messages).
 */
const hangKey = process.env.NERVE_LOCAL_TEST_HANG_KEY;
if (hangKey) {
  const send = S3Client.prototype.send;
  S3Client.prototype.send = function (this: S3Client, command: unknown, ...rest: unknown[]) {
    if (command instanceof GetObjectCommand && command.input.Key?.includes(hangKey)) {
      writeSync(2, `NERVE_LOCAL_TEST_HANG_KEY: hanging on ${command.input.Key}\n`);
      for (;;);
    }
    return (send as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof send;
}

const { queueUrl, batchSize } = workerData as { queueUrl: string; batchSize: number };
const { handler } = await import('../lambdas/batch/handler.js');
// The emulator's queue URLs name no real host: the configured endpoint serves them.
const poller = startQueuePoller(new SQSClient({ useQueueUrlAsEndpoint: false }), queueUrl, (event) => handler(event, { functionName: 'nerve-batch-local' } as never), { batchSize });
parentPort!.postMessage('ready');
parentPort!.once('message', async () => {
  await poller.stop();
  parentPort!.postMessage('stopped');
});
