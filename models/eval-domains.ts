/**
 * npm run eval:domains [-- --models small,ensemble --data DIR]
 *
 * The models out of the news domain, through the TypeScript engine with conlleval's rules:
 * CrossNER politics (Wikipedia articles on politics, Liu et al. 2021) and the Broad Twitter
 * Corpus (tweets, Derczynski et al. 2016), dev and test, each sentence on its own (neither
 * marks documents). Their types are mapped to CoNLL-2003's by the tables below; nothing is
 * trained or tuned on these sets. Writes bench/results/accuracy-domains.json.
 */
import { join } from 'node:path';
import { loadModel } from '../lambdas/engine/load.js';
import { keepTypes, mapTypes, PER_ORG_LOC, readConll } from '../tools/conll.js';
import { evaluate, reportFigures } from '../tools/conlleval.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';

/**
 * CrossNER politics → CoNLL-2003, after CoNLL's guidelines: its finer kinds of person,
 * organisation and location fold into theirs (a politician is a person, a political party
 * an organisation, a country a location); CoNLL puts named events and everything else
 * named in MISC, so elections, events and CrossNER's misc go there.
 */
export const CROSSNER_POLITICS_TO_CONLL = {
  person: 'PER',
  politician: 'PER',
  organisation: 'ORG',
  politicalparty: 'ORG',
  location: 'LOC',
  country: 'LOC',
  election: 'MISC',
  event: 'MISC',
  misc: 'MISC',
} as const;


const args = scriptArgs({ models: { type: 'string', default: 'small,ensemble' } });
const sets = [
  { name: 'crossnerPolitics', folder: join('crossner', 'politics'), gold: (tags: string[]) => mapTypes(tags, CROSSNER_POLITICS_TO_CONLL, 'CrossNER politics'), predicted: (tags: string[]) => tags },
  { name: 'btc', folder: 'btc', gold: (tags: string[]) => tags, predicted: (tags: string[]) => keepTypes(tags, PER_ORG_LOC) }, // BTC has no MISC: a model's is left out
];

const results: Record<string, Record<string, Record<string, ReturnType<typeof reportFigures>>>> = {};
for (const ref of args.models.split(',')) {
  const model = await loadModel(ref, { workers: 2 });
  results[ref] = {};
  for (const set of sets) {
    results[ref]![set.name] = {};
    for (const split of ['dev', 'test']) {
      const sentences = readConll(join(args.data, set.folder, `${split}.txt`));
      const predicted = await model.labelSentences(sentences.map((s) => s.tokens));
      const report = evaluate(sentences.map((s) => set.gold(s.tags)), predicted.map(set.predicted));
      results[ref]![set.name]![split] = reportFigures(report);
      console.log(`${ref} ${set.name} ${split}: F1 ${report.overall.f1.toFixed(2)} (P ${report.overall.precision.toFixed(2)}, R ${report.overall.recall.toFixed(2)})`);
    }
  }
  await model.release();
}
writeResult('accuracy-domains', {
  measuredWith: 'npm run eval:domains',
  machine: machine(),
  mappings: { crossnerPolitics: CROSSNER_POLITICS_TO_CONLL, btc: `${PER_ORG_LOC.join(', ')} as they are; the models' MISC left out` },
  results,
});
