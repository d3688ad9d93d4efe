/**
 * What int8 dynamic quantization (tools/hf/quantize.py) changes for an export: entity F1 on
 * CoNLL-2003 dev through the engine, and tokens per second on one intra-op thread, for the
 * fp32 model.onnx and its model_quantized.onnx side by side.
 *
 *   npx tsx tools/hf/measure-int8.ts --model EXPORT_DIR [--split dev] [--data ../shared/data]
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TransformerModel } from '../../lambdas/engine/transformer/model.js';
import { readConll } from '../conll.js';
import { evaluate } from '../conlleval.js';
import { machine, scriptArgs } from '../script.js';

const args = scriptArgs({ model: { type: 'string' }, split: { type: 'string', default: 'dev' } });
if (!args.model) {
  console.error('usage: tools/hf/measure-int8.ts --model EXPORT_DIR [--split dev]');
  process.exit(2);
}
const sentences = readConll(join(args.data, 'conll2003', `${args.split}.txt`));
const tokens = sentences.reduce((n, s) => n + s.tokens.length, 0);
const rows = [];
for (const onnxFile of ['model.onnx', 'model_quantized.onnx']) {
  const model = await TransformerModel.load(args.model, { onnxFile });
  await model.labelSentences(sentences.slice(0, 200).map((s) => s.tokens)); // warm-up
  const started = performance.now();
  const predicted = await model.labelSentences(sentences.map((s) => s.tokens));
  const seconds = (performance.now() - started) / 1000;
  const f1 = evaluate(sentences.map((s) => s.tags), predicted).overall.f1;
  rows.push({ onnxFile, f1: Number(f1.toFixed(2)), tokensPerSecond: Math.round(tokens / seconds) });
  await model.release();
}
console.log(JSON.stringify({ model: args.model, split: args.split, sentences: sentences.length, tokens, rows, machine: machine() }, null, 1));
