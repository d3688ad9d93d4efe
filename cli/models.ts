/**
 * `nerve models import DIR`: a Hugging Face token-classification export (Optimum's
 * folder: config.json, tokenizer.json, model.onnx or onnx/model.onnx) becomes a Nerve model
 * folder that `--model`, `nerve:model` and `nerve:batchModel` take. The checks and the copy
 * are the engine's (lambdas/engine/transformer/import.ts): a bad export writes nothing.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { modelsDir } from '../lambdas/engine/manifest.js';
import { AGGREGATIONS, type Aggregation } from '../lambdas/engine/transformer/aggregate.js';
import { importTransformer } from '../lambdas/engine/transformer/import.js';
import { integerOption, usageError, type Command } from './command.js';

export const modelsCommand: Command = {
  name: 'models',
  usage: `usage: nerve models import DIR [--name NAME] [--out DIR] [--aggregation ${AGGREGATIONS.join('|')}] [--stride N] [--onnx FILE]
checks a Hugging Face token-classification export (config.json, tokenizer.json, model.onnx
or onnx/model.onnx, as Optimum writes it) and writes it as a Nerve model folder

  --name NAME           the model's name (default: the export folder's name)
  --out DIR             where to write it (default: the models folder, ${'$'}NERVE_MODELS_DIR or models/, under NAME);
                        it must not exist or be empty
  --aggregation A       how sub-tokens make entities, as transformers' pipeline does (default first)
  --stride N            tokens each window of a long text repeats from the one before (default a quarter of the window)
  --onnx FILE           the export's ONNX file to take, e.g. model_quantized.onnx (default model.onnx)`,
  options: { name: { type: 'string' }, out: { type: 'string' }, aggregation: { type: 'string' }, stride: { type: 'string' }, onnx: { type: 'string' } },
  async run(values, positionals) {
    const [action, dir, ...extra] = positionals;
    if (action !== 'import') throw usageError(this, action === undefined ? 'models needs an action: import' : `unknown action "${action}" (models has: import)`);
    if (dir === undefined || extra.length > 0) throw usageError(this, 'models import takes one export folder');
    const aggregation = values.aggregation as string | undefined;
    if (aggregation !== undefined && !(AGGREGATIONS as readonly string[]).includes(aggregation)) throw usageError(this, `--aggregation must be one of ${AGGREGATIONS.join(', ')}, got "${aggregation}"`);
    const name = (values.name as string | undefined) ?? basename(resolve(dir));
    const out = (values.out as string | undefined) ?? join(modelsDir(), name);
    const manifest = await importTransformer(dir, { out, name, aggregation: aggregation as Aggregation | undefined, stride: integerOption('stride', values.stride, 1), onnxFile: values.onnx as string | undefined });
    // The stack takes a folder of model folders and a name in it (docs/models.md, "Deploying your models").
    const deploy = `-c nerve:modelsDir=${dirname(resolve(out))} -c nerve:batchModel=${basename(resolve(out))}`;
    console.error(`imported ${manifest.name} ${manifest.version} (${manifest.labels.length} labels) into ${resolve(out)}; use it with --model ${resolve(out)}, deploy it with cdk deploy ${deploy} (or nerve:model)`);
    return 0;
  },
};
