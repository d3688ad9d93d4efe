/**
 * npm run tune:consistency [-- --model ensemble --data DIR]
 *
 * Chooses document consistency's thresholds (lambdas/engine/document.ts) on CoNLL-2003
 * dev only: the model's spans are computed once, then every setting of the grid is
 * scored by the mean of dev F1 as written and lower-cased. Test is never read here;
 * `npm run eval:ensemble` reports it for the defaults the code ships with.
 */
import { join } from 'node:path';
import { harmonizeDocuments, type ConsistencyOptions } from '../lambdas/engine/document.js';
import { loadModel } from '../lambdas/engine/load.js';
import { spansToTags } from '../lambdas/engine/tags.js';
import { lowerCased, readConll } from '../tools/conll.js';
import { evaluate } from '../tools/conlleval.js';
import { scriptArgs, writeResult } from '../tools/script.js';

const args = scriptArgs({ model: { type: 'string', default: 'ensemble' } });
const model = await loadModel(args.model, { workers: 2 }); // one model thread per core (engine/parallel.ts)
const dev = readConll(join(args.data, 'conll2003', 'dev.txt'));
const gold = dev.map((s) => s.tags);
const cases = await Promise.all(
  [dev, lowerCased(dev)].map(async (sentences) => ({ sentences, spans: await model.spanSentences(sentences.map((s) => s.tokens)) })),
);
await model.release();

/** `false`: without document consistency. */
function devF1(consistency: ConsistencyOptions | false): number {
  const f1s = cases.map(({ sentences, spans }) => {
    const predicted = harmonizeDocuments(sentences, spans, consistency).map((row, s) => spansToTags(sentences[s]!.tokens.length, row));
    return evaluate(gold, predicted).overall.f1;
  });
  return Number(((f1s[0]! + f1s[1]!) / 2).toFixed(3));
}

const rows: Array<ConsistencyOptions & { devMeanF1: number }> = [];
for (const retypeShare of [0.2, 0.3, 0.4, 0.5]) {
  for (const propagateScore of [0.7, 0.8, 0.9, 0.95]) {
    for (const surnameTypes of [[], ['PER'], ['PER', 'ORG'], ['PER', 'LOC'], ['PER', 'ORG', 'LOC'], ['PER', 'ORG', 'LOC', 'MISC']]) rows.push({ retypeShare, propagateScore, surnameTypes, devMeanF1: devF1({ retypeShare, propagateScore, surnameTypes }) });
  }
}
rows.sort((a, b) => b.devMeanF1 - a.devMeanF1);
const none = devF1(false);
console.log(`dev mean F1 (as written, lower-cased) without consistency: ${none}`);
for (const r of rows.slice(0, 8)) console.log(`  retypeShare ${r.retypeShare}  propagateScore ${r.propagateScore}  surnameTypes [${r.surnameTypes}]  → ${r.devMeanF1}`);
writeResult('tune-consistency', { model: args.model, split: 'CoNLL-2003 dev', objective: 'mean of F1 as written and lower-cased', withoutConsistency: none, best: rows[0], grid: rows });
