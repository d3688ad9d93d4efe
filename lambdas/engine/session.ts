/**
 * The ONNX Runtime session: created once per model and process, reused for every call.
 * Intra-op threads are configurable because the right number differs by place: one for
 * a query; for the batch model, one per worker thread (lambdas/shared/contract.ts).
 */
import * as ort from 'onnxruntime-node';
import type { EncodedBatch } from './encode.js';
import { ConfigError, ModelInvalidError } from '../shared/errors.js';
import type { ModelOptions } from './defaults.js';

type SessionOptions = Required<Pick<ModelOptions, 'intraOpThreads' | 'executionProviders'>>;

export class EmissionSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputNames: readonly string[],
  ) {}

  static async create(onnxPath: string, inputNames: readonly string[], { intraOpThreads, executionProviders }: SessionOptions) {
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
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxPath, options(executionProviders.includes('cpu') ? executionProviders : [...executionProviders, 'cpu']));
    } catch (first) {
      // A GPU provider missing from this build (or no GPU) must not stop the worker: use the CPU.
      try {
        if (executionProviders.every((p) => p === 'cpu')) throw first;
        session = await ort.InferenceSession.create(onnxPath, options(['cpu']));
        console.warn(`ONNX Runtime: ${executionProviders.join(',')} unavailable (${(first as Error).message}); using the CPU`);
      } catch (e) {
        throw new ModelInvalidError(`ONNX Runtime cannot load ${onnxPath}: ${(e as Error).message}`);
      }
    }
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
