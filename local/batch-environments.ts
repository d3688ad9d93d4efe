/**
 * Concurrent invocations of the batch function, as the SQS event source runs them: each
 * in its own execution environment (a worker thread with its own model), so that
 * inference, which ONNX Runtime's Node binding runs on the calling thread, uses every
 * core instead of queueing behind the emulators on the main thread. An environment that
 * dies is replaced, as Lambda replaces one; what it was processing comes back from the
 * queue after the visibility timeout.
 *
 * Stopping asks each environment to finish its batch; one that has not within the grace
 * period (a document stuck in a reader or the model, a synchronous loop that never reads
 * the request) is terminated: V8 interrupts its JavaScript wherever it is. What it was
 * processing stays in the queue, or, once the stack is down, is found again by the next
 * start's reconciliation.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface BatchEnvironments {
  /** Finish each environment's current batch, then end the threads; after `graceMs` (default 3 s), end them anyway. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

const DEFAULT_GRACE_MS = 3_000;

export async function startBatchEnvironments({ queueUrl, count = defaultCount(), batchSize = 10 }: { queueUrl: string; count?: number; batchSize?: number }): Promise<BatchEnvironments> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`the number of batch environments must be a positive integer, got ${count}`);
  let stopping = false;
  const live = new Set<Worker>();

  /** Starts one environment; resolves once its handler (and model) is loaded. */
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const entry = new URL('./batch-environment-thread.ts', import.meta.url).href;
      const w = new Worker(new URL('../lambdas/shared/ts-thread.mjs', import.meta.url), { workerData: { entry, queueUrl, batchSize } });
      live.add(w);
      let ready = false;
      w.once('message', () => {
        ready = true;
        resolve();
      });
      w.on('error', (e) => console.error('batch environment failed:', e));
      w.once('exit', (code) => {
        live.delete(w);
        if (!ready) reject(new Error(`a batch environment exited with code ${code} before it was ready`));
        else if (!stopping) {
          console.error(`a batch environment exited with code ${code}; starting another`);
          start().catch((e) => console.error('cannot replace the batch environment:', e));
        }
      });
    });

  try {
    await Promise.all(Array.from({ length: count }, start));
  } catch (e) {
    stopping = true;
    await Promise.all([...live].map((w) => w.terminate()));
    throw e;
  }
  return {
    stop: async ({ graceMs = DEFAULT_GRACE_MS } = {}) => {
      stopping = true;
      await Promise.all(
        [...live].map(async (w) => {
          let timer: NodeJS.Timeout | undefined;
          const stopped = new Promise<unknown>((resolve) => {
            w.once('message', resolve);
            w.once('exit', resolve);
            timer = setTimeout(() => {
              console.error(`a batch environment did not finish its batch within ${graceMs} ms; terminating it`);
              resolve(undefined);
            }, graceMs);
          });
          w.postMessage('stop');
          await stopped;
          clearTimeout(timer);
          await w.terminate(); // the handler's AWS clients keep sockets that would hold the thread
        }),
      );
    },
  };
}

/** One environment per core, at most 4 (NERVE_LOCAL_BATCH_CONCURRENCY overrides). */
function defaultCount(): number {
  const configured = process.env.NERVE_LOCAL_BATCH_CONCURRENCY;
  return configured ? Number(configured) : Math.max(1, Math.min(4, availableParallelism()));
}
