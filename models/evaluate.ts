/**
 * npm run eval:model [-- --model small --dataset conll2003 --data DIR]
 *
 * Measures a model through the TypeScript engine (the code the Lambdas run) with
 * conlleval's rules, on dev and test, as written and lower-cased; records the figures in
 * the manifest's `metrics.engine`, writes bench/results/accuracy-NAME.json and
 * regenerates the model card (models/NAME/README.md) from the manifest.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveModelDir } from '../lambdas/engine/manifest.js';
import { Tagger } from '../lambdas/engine/tagger.js';
import { lowerCased, readConll } from '../tools/conll.js';
import { evaluate, reportFigures, type Report } from '../tools/conlleval.js';
import { scriptArgs, writeResult } from '../tools/script.js';
import { writeModelCard } from './card.js';

const args = scriptArgs({ model: { type: 'string', default: 'small' }, dataset: { type: 'string', default: 'conll2003' } });
const dir = resolveModelDir(args.model);
const tagger = await Tagger.load(dir, { intraOpThreads: 2 });

const splits: Record<string, Record<string, Report>> = {};
for (const split of ['dev', 'test']) {
  const path = join(args.data, args.dataset, `${split}.txt`);
  if (!existsSync(path)) continue;
  const sentences = readConll(path);
  splits[split] = {};
  for (const lowercase of [false, true]) {
    const tokens = (lowercase ? lowerCased(sentences) : sentences).map((s) => s.tokens);
    const report = evaluate(sentences.map((s) => s.tags), await tagger.labelSentences(tokens));
    splits[split]![lowercase ? 'lowercased' : 'cased'] = report;
    console.log(`${args.dataset} ${split}${lowercase ? ' lower-cased' : ''}: F1 ${report.overall.f1.toFixed(2)} (P ${report.overall.precision.toFixed(2)}, R ${report.overall.recall.toFixed(2)})`);
  }
}
await tagger.release();

const engine = {
  dataset: args.dataset,
  measuredWith: `npm run eval:model -- --model ${args.model} (TypeScript engine, conlleval rules)`,
  measuredAt: new Date().toISOString().slice(0, 10),
  ...Object.fromEntries(Object.entries(splits).map(([split, r]) => [split, Object.fromEntries(Object.entries(r).map(([k, v]) => [k, reportFigures(v)]))])),
};
const manifestPath = join(dir, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
manifest.metrics = { ...manifest.metrics, engine };
writeFileSync(manifestPath, JSON.stringify(manifest, null, 1) + '\n');
writeResult(`accuracy-${basename(dir)}`, { model: { name: manifest.name, version: manifest.version }, ...engine });
writeModelCard(dir);
console.log(`updated ${manifestPath} and ${join(dir, 'README.md')}`);
