/**
 * Load any Nerve model folder by name or path: a single tagger, a transformer (an Optimum
 * export or an imported one) or an ensemble, in this thread or in workers.
 */
import type { ModelOptions } from './defaults.js';
import { Ensemble, readEnsembleManifest } from './ensemble.js';
import { resolveModelDir } from './manifest.js';
import type { NerModel } from './model.js';
import { ParallelModel } from './parallel.js';
import { Tagger } from './tagger.js';
import { isTransformerFolder } from './transformer/folder.js';
import { TransformerModel, type TransformerOptions } from './transformer/model.js';

export interface LoadOptions extends ModelOptions, TransformerOptions {
  /**
   * Worker threads to run the model in, each with its own copy (see parallel.ts). 1, the
   * default, runs it on the calling thread.
   */
  readonly workers?: number;
}

export async function loadModel(ref: string, { workers = 1, ...options }: LoadOptions = {}): Promise<NerModel> {
  const dir = resolveModelDir(ref);
  if (workers !== 1) return ParallelModel.load(dir, { ...options, workers }); // it checks the count
  if (readEnsembleManifest(dir)) return Ensemble.load(dir, options);
  return isTransformerFolder(dir) ? TransformerModel.load(dir, options) : Tagger.load(dir, options);
}
