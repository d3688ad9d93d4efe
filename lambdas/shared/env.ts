/**
 * Environment variables the CDK constructs set and the handlers read: named once here,
 * imported by both sides, so a rename cannot leave one of them behind.
 */
import { ConfigError } from './errors.js';

export const ENV = {
  /** Model name (a folder under NERVE_MODELS_DIR) or path. */
  model: 'NERVE_MODEL',
  /** Folder holding named models: /opt/models in Lambda (the models layer). */
  modelsDir: 'NERVE_MODELS_DIR',
  /** Largest `text` accepted online, in code points. */
  maxTextChars: 'NERVE_MAX_TEXT_CHARS',
  /** "true" to log request text (off by default: document text stays out of logs). */
  logText: 'NERVE_LOG_TEXT',
  /** ONNX Runtime intra-op threads. */
  intraOpThreads: 'NERVE_INTRA_OP_THREADS',
  /** Threads the batch model runs in, each with its own copy (one per vCPU; see engine/parallel.ts). */
  modelWorkers: 'NERVE_MODEL_WORKERS',
  /** The batch path's model (the ensemble by default). */
  batchModel: 'NERVE_BATCH_MODEL',
  /** ONNX Runtime execution providers, in order: "cuda,cpu" on the GPU workers. */
  executionProviders: 'NERVE_EXECUTION_PROVIDERS',
  /** The ingest queue a long-running worker polls. */
  queueUrl: 'NERVE_QUEUE_URL',
  /** The GPU workers' queue, where the batch function forwards large files. */
  gpuQueueUrl: 'NERVE_GPU_QUEUE_URL',
  /** Files larger than this many bytes go to the GPU workers. */
  gpuThresholdBytes: 'NERVE_GPU_THRESHOLD_BYTES',
  /** A second queue a worker drains when its own is empty (GPU workers help with overflow). */
  overflowQueueUrl: 'NERVE_OVERFLOW_QUEUE_URL',
  /** Secret that signs search cursors (any long random string; rotating it invalidates open cursors). */
  cursorSecret: 'NERVE_CURSOR_SECRET',
  /** The Secrets Manager secret (ARN) that signs search cursors, which the stack creates; NERVE_CURSOR_SECRET overrides it. */
  cursorSecretArn: 'NERVE_CURSOR_SECRET_ARN',
  /** The entity index table. */
  indexTable: 'NERVE_INDEX_TABLE',
  /** Largest object the batch path reads, in bytes. */
  maxObjectBytes: 'NERVE_MAX_OBJECT_BYTES',
  /** Seconds the model may spend on one document before it is marked failed. */
  documentSeconds: 'NERVE_DOCUMENT_SECONDS',
  /** Seconds a change waits before it tries again a file whose lease another worker holds. */
  leaseRetrySeconds: 'NERVE_LEASE_RETRY_SECONDS',
  /** Seconds a worker's lease on a document lasts (the function's timeout). */
  leaseSeconds: 'NERVE_LEASE_SECONDS',
  /** The full-text engine for documents' words (an OpenSearch endpoint, https://…); unset: words are searched through each document's salient terms only. */
  wordsEndpoint: 'NERVE_WORDS_ENDPOINT',
  /** The full-text engine's index of documents' words. @default nerve-words */
  wordsIndex: 'NERVE_WORDS_INDEX',
  /** How requests to it are signed: SigV4 for OpenSearch Serverless ("aoss"), an OpenSearch Service domain ("es"), or "none" (the local stack's embedded engine). */
  wordsSigning: 'NERVE_WORDS_SIGNING',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** A variable's value, or a clear error naming the variable when it is required and missing. */
export function readEnv(name: EnvName, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`environment variable ${name} is not set`, { variable: name });
}

export function readIntEnv(name: EnvName, fallback: number): number {
  const raw = readEnv(name, String(fallback));
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`, { variable: name });
  return value;
}
