/**
 * Timing of the ingest path, shared by the CDK construct and the local stack. They must
 * agree: a message must stay invisible longer than the function may run on it, or a
 * slow document would be processed twice at once.
 */
export const BATCH_FUNCTION_TIMEOUT_SECONDS = 300;

export const QUEUE_SETTINGS = {
  /** Six times the function timeout, as AWS recommends for SQS event sources. */
  visibilityTimeoutSeconds: 6 * BATCH_FUNCTION_TIMEOUT_SECONDS,
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: 4,
} as const;

/** The prefix of the documents bucket that is ingested. */
export const INGEST_PREFIX = 'incoming/';
