/**
 * A model spread over worker threads, for the batch path. onnxruntime-node runs a
 * session synchronously on the calling thread, and an LSTM gains little from a second
 * intra-op thread (each step is a small matrix product), so on N cores N threads with
 * one copy of the model each, every one taking a share of the sentences, beat one copy
 * with N intra-op threads (on two cores, 1.65 to 1.86 times as fast for the ensembles
 * measured); the CRF decoding and the ensemble's combination run in the workers too. The
 * main thread stays free for I/O. The price is memory: a copy of the model per thread.
 *
 * Each call's sentences are cut into contiguous runs of about equal token counts, one per
 * worker, and the answers are joined in order: results are the same as one model's.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { MODEL_WORKER_BUNDLE } from '../shared/contract.js';
import { ConfigError, reviveError, type SerializedError } from '../shared/errors.js';
import { modelOptions, tokensPerCall, type ModelOptions } from './defaults.js';
import type { ScoredSpan } from './extract.js';
import { SentenceModel, type ModelFamily, type ModelIdentity, type Sentences } from './model.js';

type Batch = Sentences;

/** What a worker is started with. */
export interface WorkerSetup {
  readonly ref: string;
  readonly options: ModelOptions;
}
export type ToWorker = { kind: 'spans' | 'labels'; id: number; batch: Batch } | { kind: 'release' };
export type FromWorker =
  | { kind: 'ready'; model: ModelIdentity; family: ModelFamily; labels: readonly string[] }
  | { kind: 'failed'; error: SerializedError }
  | { kind: 'result'; id: number; result: ScoredSpan[][] | string[][] }
  | { kind: 'error'; id: number; error: SerializedError };

/** Below this many tokens a call goes to one worker whole: splitting costs more than it saves. */
const MIN_TOKENS_TO_SPLIT = 256;

/**
 * How to start the worker's code. In a Lambda function, the bundle esbuild writes beside
 * the handler (lib/lambda-function.ts), as CommonJS: require() finds onnxruntime-node in
 * the layer through NODE_PATH from any thread. In the source tree, the TypeScript through tsx.
 */
function newWorker(setup: WorkerSetup): Worker {
  const bundled = new URL(`./${MODEL_WORKER_BUNDLE}`, import.meta.url);
  if (existsSync(bundled)) return new Worker(bundled, { workerData: { setup } });
  const entry = new URL('./parallel-worker.ts', import.meta.url).href;
  return new Worker(new URL('../shared/ts-thread.mjs', import.meta.url), { workerData: { entry, setup } });
}

class ModelThread {
  private readonly calls = new Map<number, { resolve: (r: any) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private stopped?: Error;
  /** The calls sent and not yet answered, for release() to wait on. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private exited = false;
  /** Tokens sent and not yet answered: where a small call goes. */
  load = 0;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      if (m.kind !== 'result' && m.kind !== 'error') return;
      const call = this.calls.get(m.id);
      this.calls.delete(m.id);
      if (this.calls.size === 0) worker.unref();
      if (m.kind === 'result') call?.resolve(m.result);
      else call?.reject(reviveError(m.error));
    });
    const stop = (error: Error) => {
      this.stopped ??= error;
      for (const call of this.calls.values()) call.reject(error);
      this.calls.clear();
    };
    worker.on('error', (e) => stop(new Error(`a model worker thread failed: ${e.message}`)));
    worker.on('exit', (code) => {
      this.exited = true;
      stop(new Error(`a model worker thread stopped (exit code ${code})`));
    });
  }

  static start(setup: WorkerSetup): Promise<{ thread: ModelThread; ready: Extract<FromWorker, { kind: 'ready' }> }> {
    const worker = newWorker(setup);
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`a model worker thread stopped while loading (exit code ${code})`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (m: FromWorker) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (m.kind === 'ready') {
          worker.unref(); // an idle model does not keep the process alive
          resolve({ thread: new ModelThread(worker), ready: m });
        } else {
          reject(m.kind === 'failed' ? reviveError(m.error) : new Error(`unexpected first message from a model worker: ${m.kind}`));
        }
      });
    });
  }

  call<T>(kind: 'spans' | 'labels', batch: Batch, tokens: number): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    this.load += tokens;
    if (this.calls.size === 0) this.worker.ref(); // a call in flight keeps the process alive
    const answer = new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ kind, id, batch } satisfies ToWorker);
    }).finally(() => {
      this.load -= tokens;
      this.inFlight.delete(answer);
    });
    this.inFlight.add(answer);
    return answer;
  }

  /**
   * Answers the calls in flight, then stops the thread; calls made meanwhile are refused.
   * The thread must stop between calls, never under a model run: onnxruntime's binding
   * aborts the whole process when a thread stops beneath it, so the timeout below only
   * ever cuts short a release that hangs.
   */
  async release(): Promise<void> {
    if (this.stopped) return;
    this.stopped = new Error('the model was released');
    await Promise.allSettled(this.inFlight);
    if (this.exited) return; // it died while its last calls ran
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.ref();
    this.worker.postMessage({ kind: 'release' } satisfies ToWorker);
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface ParallelOptions extends ModelOptions {
  /** Worker threads, each with its own copy of the model. */
  readonly workers: number;
}

export class ParallelModel extends SentenceModel {
  private constructor(
    private readonly threads: readonly ModelThread[],
    model: ModelIdentity,
    readonly family: ModelFamily,
    labels: readonly string[],
    tokensPerGroup: number,
  ) {
    super(model, labels, tokensPerGroup);
  }

  /** Start `workers` threads, each loading `ref` with one intra-op thread unless told otherwise. */
  static async load(ref: string, { workers, ...options }: ParallelOptions): Promise<ParallelModel> {
    if (!Number.isInteger(workers) || workers < 1) throw new ConfigError(`workers must be a positive integer, got ${workers}`);
    const setup: WorkerSetup = { ref, options }; // one intra-op thread each unless told otherwise (MODEL_DEFAULTS)
    const started = await Promise.allSettled(Array.from({ length: workers }, () => ModelThread.start(setup)));
    const threads = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.thread] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(threads.map((t) => t.terminate()));
      throw failed.reason;
    }
    const { model, family, labels } = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof ModelThread.start>>>).value.ready;
    return new ParallelModel(threads, model, family, labels, tokensPerCall(modelOptions(options), workers));
  }

  get workers(): number {
    return this.threads.length;
  }

  override labelSentences(batch: Batch): Promise<string[][]> {
    return this.spread<string[]>('labels', batch);
  }

  spanSentences(batch: Batch): Promise<ScoredSpan[][]> {
    return this.spread<ScoredSpan[]>('spans', batch);
  }

  async release(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.release()));
  }

  /** Contiguous runs of about equal tokens, one per worker; the answers joined in order. */
  private async spread<T>(kind: 'spans' | 'labels', batch: Batch): Promise<T[]> {
    if (batch.length === 0) return [];
    const total = batch.reduce((n, s) => n + s.length, 0);
    const parts = total < MIN_TOKENS_TO_SPLIT ? 1 : Math.min(this.threads.length, batch.length);
    if (parts === 1) {
      const idlest = this.threads.reduce((a, b) => (b.load < a.load ? b : a));
      return idlest.call<T[]>(kind, batch, total);
    }
    const runs: Array<Promise<T[]>> = [];
    let start = 0;
    let seen = 0;
    for (let p = 0; p < parts; p++) {
      let end = start;
      const goal = (total * (p + 1)) / parts;
      // Leave at least one sentence for each run still to come.
      while (end < batch.length - (parts - p - 1) && (p === parts - 1 || end === start || seen + batch[end]!.length / 2 <= goal)) {
        seen += batch[end]!.length;
        end++;
      }
      const slice = batch.slice(start, end);
      runs.push(this.threads[p]!.call<T[]>(kind, slice, slice.reduce((n, s) => n + s.length, 0)));
      start = end;
    }
    return (await Promise.all(runs)).flat();
  }
}
