/**
 * Invokes a handler with Lambda's SQS event shape, as the SQS event source mapping does:
 * batches of up to 10 messages, `batchItemFailures` honoured (those messages are left to
 * reappear after the visibility timeout; after maxReceiveCount the queue moves them to
 * the dead-letter queue), everything else deleted. Unlike Lambda, whose timeout bounds a
 * batch, a long-running worker may work on a batch for longer than the visibility
 * timeout: it extends the visibility every third of it until the batch is done.
 *
 * With `protection` (lambdas/batch/task-protection.ts), the task is protected from scale-in
 * from before a batch starts until its messages are deleted or left to come back, for the
 * queue's visibility timeout at a time. Once stopped, a poller takes no new batch: messages
 * a receive returns after stop() are released at once (visibility 0) for other workers.
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { TaskProtection } from './task-protection.js';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface Poller {
  /** Resolves once the current batch (if any) is done and polling has stopped. */
  stop(): Promise<void>;
}

export interface PollerOptions {
  /** Messages a batch holds at most (SQS: 10). @default 10 */
  readonly batchSize?: number;
  /** Batches at once. @default 1 */
  readonly concurrency?: number;
  readonly onError?: (e: unknown) => void;
  /** Protects the task from scale-in while a batch is in work (task-protection.ts). @default none */
  readonly protection?: Pick<TaskProtection, 'hold'>;
}

export function startQueuePoller(sqs: SQSClient, queueUrl: string, handler: SqsHandler, { batchSize = 10, concurrency = 1, onError = console.error as (e: unknown) => void, protection }: PollerOptions = {}): Poller {
  let running = true;
  // `concurrency` loops, like concurrent invocations of one function (the event source's maxConcurrency).
  const loops = Array.from({ length: concurrency }, async () => {
    const attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }))).Attributes;
    const arn = attributes?.QueueArn ?? queueUrl;
    const visibilitySeconds = Number(attributes?.VisibilityTimeout ?? 30);
    while (running) {
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) continue;
        if (!running) {
          // Stopped while this receive waited: not started, so back to the queue now rather than after the visibility timeout.
          await extendVisibility(sqs, queueUrl, messages, 0).catch(onError);
          break;
        }
        // Protected before the batch starts, until its messages are deleted or left to come back (never throws).
        const release = protection ? await protection.hold(visibilitySeconds) : () => undefined;
        try {
          const event: SQSEvent = {
            Records: messages.map((m) => ({
              messageId: m.MessageId!,
              receiptHandle: m.ReceiptHandle!,
              body: m.Body ?? '',
              attributes: {
                ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
                SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
                SenderId: 'local',
                ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
              },
              messageAttributes: {},
              md5OfBody: m.MD5OfBody ?? '',
              eventSource: 'aws:sqs',
              eventSourceARN: arn,
              awsRegion: 'us-east-1',
            })),
          };
          let failed = new Set<string>();
          // A long batch keeps its messages invisible: no other worker starts them again while this one works.
          const heartbeat = setInterval(() => void extendVisibility(sqs, queueUrl, messages, visibilitySeconds).catch(onError), (visibilitySeconds * 1000) / 3);
          try {
            const result = await handler(event);
            failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
          } catch (e) {
            // A thrown handler fails the whole batch, as in Lambda.
            onError(e);
            failed = new Set(messages.map((m) => m.MessageId!));
          } finally {
            clearInterval(heartbeat);
          }
          const done = messages.filter((m) => !failed.has(m.MessageId!));
          if (done.length > 0) {
            await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
          }
        } finally {
          release();
        }
      } catch (e) {
        if (running) onError(e);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Resets the visibility timeout of messages still being worked on. */
async function extendVisibility(sqs: SQSClient, queueUrl: string, messages: readonly Message[], seconds: number): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(i + j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: seconds }));
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
}
