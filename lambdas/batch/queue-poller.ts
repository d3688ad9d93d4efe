/**
 * Invokes a handler with Lambda's SQS event shape, as the SQS event source mapping does:
 * batches of up to 10 messages, `batchItemFailures` honoured (those messages are left to
 * reappear after the visibility timeout; after maxReceiveCount the queue moves them to
 * the dead-letter queue), everything else deleted. Unlike Lambda, whose timeout bounds a
 * batch, a long-running worker may work on a batch for longer than the visibility
 * timeout: it extends the visibility every third of it until the batch is done.
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface Poller {
  /** Resolves once the current batch (if any) is done and polling has stopped. */
  stop(): Promise<void>;
}

export function startQueuePoller(sqs: SQSClient, queueUrl: string, handler: SqsHandler, { batchSize = 10, concurrency = 1, onError = console.error as (e: unknown) => void } = {}): Poller {
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
