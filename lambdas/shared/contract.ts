/**
 * What the CDK constructs (lib/) and the code they deploy (lambdas/) must agree on
 * beyond environment variable names (env.ts): where models are, which file the model
 * worker bundle is, what each function calls itself in logs and metrics, and how many
 * threads each runs its model in. Both sides import it, so neither can drift.
 */

/** Where the models layer puts the model folders in a Lambda function. */
export const LAMBDA_MODELS_DIR = '/opt/models';

/** The engine's worker thread, bundled beside a handler that runs a ParallelModel (engine/parallel.ts). */
export const MODEL_WORKER_BUNDLE = 'parallel-worker.cjs';

/** Service names in logs and metrics (Powertools' serviceName), one per deployed unit. */
export const SERVICES = {
  online: 'nerve-online',
  search: 'nerve-search',
  documents: 'nerve-documents',
  batch: 'nerve-batch',
  gpuWorker: 'nerve-gpu-worker',
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

export const METRICS_NAMESPACE = 'Nerve';

/** The word index's name (lambdas/words) where the environment names none: the stack's and the local stack's. */
export const DEFAULT_WORDS_INDEX = 'nerve-words';

/** Lambda gives a function one vCPU per 1,769 MB of memory, up to six. */
export function lambdaVcpus(memoryMb: number): number {
  return Math.max(1, Math.min(6, Math.floor(memoryMb / 1769)));
}

/**
 * Threads for the batch model: one worker thread per vCPU, each with its own copy and one
 * intra-op thread (see engine/parallel.ts and bench/results/model-*.json for why). The
 * batch handler's defaults when nothing is set are the same: one copy, one thread.
 */
export function batchModelThreads(vcpus: number): { workers: number; intraOpThreads: number } {
  return { workers: Math.max(1, vcpus), intraOpThreads: 1 };
}

/** The online and search functions: one model copy, one intra-op thread (a query is short). */
export const QUERY_MODEL_THREADS = { intraOpThreads: 1 } as const;
