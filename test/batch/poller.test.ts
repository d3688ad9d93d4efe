/**
 * The queue poller against fauxqs: a batch that runs past the visibility timeout stays
 * invisible to other workers; with task protection (against a stand-in for the ECS
 * agent's endpoint, ecs-agent.ts), the task is protected while a batch is in work and
 * unprotected once the worker is idle.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueuePoller } from '../../lambdas/batch/queue-poller.js';
import { taskProtection } from '../../lambdas/batch/task-protection.js';
import { startEmulators, type Emulators } from '../../local/emulators.js';
import { startFakeAgent } from './ecs-agent.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `check` until it holds, or fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await sleep(50);
  }
}

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

  it('protects its task while a batch is in work, and drops the protection once idle', async () => {
    const { QueueUrl } = await emulators.sqs.send(new CreateQueueCommand({ QueueName: 'protected', Attributes: { VisibilityTimeout: '90' } }));
    const agent = await startFakeAgent();
    const protection = taskProtection({ agentUri: agent.uri, idleMs: 500, logger: { info: () => undefined, warn: () => undefined, debug: () => undefined } as never });
    const seen: Array<{ body: string; protectedAtStart: boolean; at: number }> = [];
    let done = 0;
    const poller = startQueuePoller(
      emulators.sqs,
      QueueUrl!,
      async (event) => {
        for (const r of event.Records) seen.push({ body: r.body, protectedAtStart: agent.state.protectionEnabled, at: Date.now() });
        await sleep(1500);
        done++;
      },
      { onError: () => undefined, protection },
    );
    try {
      expect(agent.requests).toEqual([]); // nothing in work: nothing asked
      await emulators.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a long document' }));
      await until(() => done === 1, 10_000);
      expect(seen).toEqual([{ body: 'a long document', protectedAtStart: true, at: expect.any(Number) }]);
      // Taken before the batch started, for the queue's visibility timeout (90 s: 2 minutes).
      expect(agent.requests[0]).toMatchObject({ method: 'PUT', contentType: 'application/json', body: { ProtectionEnabled: true, ExpiresInMinutes: 2 } });
      expect(agent.requests[0]!.at).toBeLessThanOrEqual(seen[0]!.at);
      // Idle (the message deleted, nothing else to do): dropped.
      await until(() => !agent.state.protectionEnabled, 5_000);
      expect(agent.requests.map((r) => r.body)).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 2 }, { ProtectionEnabled: false }]);
      const attributes = await emulators.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    } finally {
      await poller.stop();
      await protection.close();
      await agent.close();
    }
  }, 30_000);

  it('an agent that never answers delays a batch by the call timeout at most, and the batch is done', async () => {
    const { QueueUrl } = await emulators.sqs.send(new CreateQueueCommand({ QueueName: 'unprotected', Attributes: { VisibilityTimeout: '30' } }));
    const agent = await startFakeAgent('hang');
    const warnings: string[] = [];
    const protection = taskProtection({ agentUri: agent.uri, timeoutMs: 500, idleMs: 100, logger: { info: () => undefined, warn: (m: string) => void warnings.push(m), debug: () => undefined } as never });
    let done = 0;
    const poller = startQueuePoller(emulators.sqs, QueueUrl!, async () => void done++, { onError: () => undefined, protection });
    try {
      const sent = Date.now();
      await emulators.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a document' }));
      await until(() => done === 1, 5_000);
      expect(Date.now() - sent).toBeLessThan(4_000);
      expect(warnings.some((w) => /work goes on/.test(w))).toBe(true);
      await until(async () => {
        const a = await emulators.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
        return a.Attributes?.ApproximateNumberOfMessages === '0' && a.Attributes?.ApproximateNumberOfMessagesNotVisible === '0';
      }, 5_000);
    } finally {
      await poller.stop();
      await protection.close();
      await agent.close();
    }
  }, 30_000);

  it('once stopped, takes no new batch: a message its last receive returns goes back to the queue at once', async () => {
    const { QueueUrl } = await emulators.sqs.send(new CreateQueueCommand({ QueueName: 'stopping', Attributes: { VisibilityTimeout: '60' } }));
    let started = 0;
    const poller = startQueuePoller(emulators.sqs, QueueUrl!, async () => void started++, { onError: () => undefined });
    await sleep(300); // its receive is waiting on the empty queue
    const stopped = poller.stop(); // SIGTERM
    await emulators.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'arrives while the worker stops' }));
    await stopped;
    expect(started).toBe(0);
    // Visible again now, not after the 60 s visibility timeout.
    const attributes = await emulators.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' });
  }, 30_000);
});
