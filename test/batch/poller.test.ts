/** The queue poller against fauxqs: a batch that runs past the visibility timeout stays invisible to other workers. */
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueuePoller } from '../../lambdas/batch/queue-poller.js';
import { startEmulators, type Emulators } from '../../local/emulators.js';

let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(async () => {
  await emulators?.stop();
});

describe('queue poller', () => {
  it('extends the visibility of a batch it is still working on: no second worker starts it', async () => {
    const { QueueUrl } = await emulators.sqs.send(new CreateQueueCommand({ QueueName: 'slow', Attributes: { VisibilityTimeout: '2' } }));
    const starts: string[] = [];
    // A document that takes three visibility timeouts, and two workers on the queue.
    const slowHandler = (worker: string) => async () => {
      starts.push(worker);
      await new Promise((r) => setTimeout(r, 6000));
    };
    const workers = ['a', 'b'].map((w) => startQueuePoller(emulators.sqs, QueueUrl!, slowHandler(w), { onError: () => undefined }));
    try {
      await emulators.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a long document' }));
      await new Promise((r) => setTimeout(r, 8000));
      expect(starts).toHaveLength(1);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 30_000);
});
