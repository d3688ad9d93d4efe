/**
 * Concurrent invocations of the batch function, as the SQS event source runs them: each
 * in its own execution environment (a worker thread with its own model), so that
 * inference, which ONNX Runtime's Node binding runs on the calling thread, uses every
 * core instead of queueing behind the emulators on the main thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface BatchEnvironments {
  /** Finish each environment's current batch, then end the threads. */
  stop(): Promise<void>;
}

export async function startBatchEnvironments({ queueUrl, count = defaultCount(), batchSize = 10 }: { queueUrl: string; count?: number; batchSize?: number }): Promise<BatchEnvironments> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`the number of batch environments must be a positive integer, got ${count}`);
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: { entry: new URL('./batch-environment.ts', import.meta.url).href, queueUrl, batchSize } }),
  );
  const stop = async () => {
    await Promise.all(
      workers.map(async (w) => {
        if (w.threadId < 0) return; // already ended
        const stopped = new Promise<unknown>((resolve) => {
          w.once('message', resolve);
          w.once('exit', resolve);
        });
        w.postMessage('stop');
        await stopped;
        await w.terminate(); // the handler's AWS clients keep sockets that would hold the thread
      }),
    );
  };
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`a batch environment exited with code ${code} before it was ready`)));
          }),
      ),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  for (const w of workers) w.on('error', (e) => console.error('batch environment failed:', e));
  return { stop };
}

/** One environment per core (NERVE_LOCAL_BATCH_CONCURRENCY overrides). */
function defaultCount(): number {
  const configured = process.env.NERVE_LOCAL_BATCH_CONCURRENCY;
  return configured ? Number(configured) : Math.max(1, Math.min(4, availableParallelism()));
}
