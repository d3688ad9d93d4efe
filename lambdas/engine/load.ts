/** Load any Nerve model folder by name or path: a single tagger or an ensemble. */
import { Ensemble, readEnsembleManifest } from './ensemble.js';
import type { NerModel } from './extract.js';
import { resolveModelDir } from './manifest.js';
import { Tagger, type TaggerOptions } from './tagger.js';

export async function loadModel(ref: string, options: TaggerOptions = {}): Promise<NerModel> {
  const dir = resolveModelDir(ref);
  return readEnsembleManifest(dir) ? Ensemble.load(dir, options) : Tagger.load(dir, options);
}
