/** The options of every command that runs a model here (tag, eval, extract), and loading it. */
import { loadModel } from '../lambdas/engine/load.js';
import type { NerModel } from '../lambdas/engine/model.js';
import { integerOption, type Options, type Values } from './command.js';

export const MODEL_OPTIONS = {
  model: { type: 'string', default: 'small' },
  threads: { type: 'string', default: '1' },
  workers: { type: 'string', default: '1' },
} as const satisfies Options;

export const MODEL_USAGE = `  --model NAME|DIR  a shipped model's name or a model folder (default small)
  --threads N       ONNX Runtime's intra-op threads (default 1)
  --workers N       runs the model in N threads, each with its own copy and one intra-op
                    thread (the fastest way to run the ensemble on several cores)`;

/** Loads the model the options name; a bad count is a usage error before anything loads. */
export function loadModelOf(values: Values): Promise<NerModel> {
  const intraOpThreads = integerOption('threads', values.threads, 1)!;
  const workers = integerOption('workers', values.workers, 1)!;
  return loadModel(String(values.model), { intraOpThreads, workers });
}
