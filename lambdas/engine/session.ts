/**
 * The ONNX Runtime session: created once per model and process, reused for every call.
 * Intra-op threads are configurable because the right number differs by place: one for
 * a query; for the batch model, one per worker thread (lambdas/shared/contract.ts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { EncodedBatch } from './encode.js';
import { ConfigError, ModelInvalidError } from '../shared/errors.js';
import type { ModelOptions } from './defaults.js';

type SessionOptions = Required<Pick<ModelOptions, 'intraOpThreads' | 'executionProviders'>>;

/**
 * True where onnxruntime-node has its CUDA provider: its install script puts the
 * provider's library beside the binding only when asked to (the GPU worker's image),
 * and asking ORT for a provider it lacks costs a failed session and an error on stderr.
 */
export function cudaProviderInstalled(): boolean {
  try {
    const root = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
    return existsSync(join(root, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** An open session and the execution provider it runs on (the first of the preferred ones that loaded). */
export interface OpenSession {
  readonly session: ort.InferenceSession;
  readonly provider: string;
}

/**
 * Open an ONNX file on the first execution provider that loads, the CPU last; every model
 * family opens its sessions here. The provider in use is logged when it is not the CPU, or
 * always with `announce` (a family that may run on a GPU), because a worker that silently
 * runs on the CPU is otherwise found only by its speed.
 */
export async function openSession(
  onnxPath: string,
  { intraOpThreads, executionProviders }: SessionOptions,
  { announce = false } = {},
): Promise<OpenSession> {
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) {
    throw new ConfigError(`intraOpThreads must be a positive integer, got ${intraOpThreads}`);
  }
  const options = (providers: readonly string[]): ort.InferenceSession.SessionOptions => ({
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: [...providers],
    // Idle pool threads sleep instead of spinning: ORT runs on the event loop's thread,
    // and on a small machine a spinning worker takes the core that the JavaScript
    // between calls (decoding, I/O, a local emulator) needs.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const preferred = executionProviders.includes('cpu') ? executionProviders : [...executionProviders, 'cpu'];
  let session: ort.InferenceSession;
  let provider = preferred[0]!;
  try {
    session = await ort.InferenceSession.create(onnxPath, options(preferred));
  } catch (first) {
    // A GPU provider missing from this build (or no GPU) must not stop the worker: use the CPU.
    try {
      if (executionProviders.every((p) => p === 'cpu')) throw first;
      session = await ort.InferenceSession.create(onnxPath, options(['cpu']));
      provider = 'cpu';
      console.warn(`ONNX Runtime: ${executionProviders.join(',')} unavailable (${(first as Error).message}); using the CPU`);
    } catch (e) {
      throw new ModelInvalidError(`ONNX Runtime cannot load ${onnxPath}: ${(e as Error).message}`);
    }
  }
  if (announce || provider !== 'cpu') console.warn(`ONNX Runtime: ${onnxPath} runs on ${provider}`);
  return { session, provider };
}

export class EmissionSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputNames: readonly string[],
  ) {}

  static async create(onnxPath: string, inputNames: readonly string[], options: SessionOptions) {
    const { session } = await openSession(onnxPath, options);
    const missing = inputNames.filter((n) => !session.inputNames.includes(n));
    if (missing.length > 0) {
      throw new ModelInvalidError(`${onnxPath} lacks the inputs ${missing.join(', ')} that its manifest names`);
    }
    return new EmissionSession(session, inputNames);
  }

  /** Emission scores, laid out [batch, tokens, labels]. */
  async run(batch: EncodedBatch): Promise<Float32Array> {
    const [words, chars, casing, lengths] = this.inputNames;
    const feeds: Record<string, ort.Tensor> = {
      [words!]: new ort.Tensor('int64', batch.wordIds, [batch.batch, batch.tokens]),
      [chars!]: new ort.Tensor('int64', batch.charIds, [batch.batch, batch.tokens, batch.chars]),
      [casing!]: new ort.Tensor('int64', batch.casingIds, [batch.batch, batch.tokens]),
      [lengths!]: new ort.Tensor('int64', batch.lengths, [batch.batch]),
    };
    const out = await this.session.run(feeds);
    const emissions = out[this.session.outputNames[0]!]!;
    return emissions.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
