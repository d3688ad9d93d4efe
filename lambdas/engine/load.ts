/** Load any Nerve model folder by name or path: a single tagger or an ensemble, in this thread or in workers. */
import { Ensemble, readEnsembleManifest } from './ensemble.js';
import type { NerModel } from './extract.js';
import { resolveModelDir } from './manifest.js';
import { ParallelModel } from './parallel.js';
import { Tagger, type TaggerOptions } from './tagger.js';

export interface LoadOptions extends TaggerOptions {
  /**
   * Worker threads to run the model in, each with its own copy (see parallel.ts). 1, the
   * default, runs it on the calling thread.
   */
  readonly workers?: number;
}

export async function loadModel(ref: string, { workers = 1, ...options }: LoadOptions = {}): Promise<NerModel> {
  const dir = resolveModelDir(ref);
  if (workers !== 1) return ParallelModel.load(dir, { ...options, workers }); // it checks the count
  return readEnsembleManifest(dir) ? Ensemble.load(dir, options) : Tagger.load(dir, options);
}
