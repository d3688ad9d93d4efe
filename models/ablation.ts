/**
 * npm run eval:ensemble [-- --model ensemble --data DIR]
 *
 * The ensemble's ablation table, measured through the TypeScript engine with conlleval's
 * rules: each member alone, the ensemble, and the ensemble with document-level
 * consistency, on CoNLL-2003 dev and test, as written and lower-cased. Writes
 * bench/results/ablation-ensemble.json and models/ensemble/README.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { Ensemble } from '../lambdas/engine/ensemble.js';
import type { NerModel } from '../lambdas/engine/model.js';
import { Tagger } from '../lambdas/engine/tagger.js';
import type { TransformerModel } from '../lambdas/engine/transformer/model.js';
import { readConll } from '../tools/conll.js';
import { scriptArgs, writeResult } from '../tools/script.js';
import type { TrainedManifest } from './card.js';
import { f1 } from './f1.js';

const args = scriptArgs({ model: { type: 'string', default: 'ensemble' } });
const ensemble = await Ensemble.load(args.model, { intraOpThreads: 2 });

const splits = Object.fromEntries(['dev', 'test'].map((s) => [s, readConll(join(args.data, 'conll2003', `${s}.txt`))]));
const rows: Array<{ system: string; dev: number; devLower: number; test: number; testLower: number }> = [];
const systems: Array<[string, NerModel, boolean]> = [
  ...ensemble.members.map((m): [string, NerModel, boolean] => [`${m.model.name} alone`, m, false]),
  ['ensemble', ensemble, false],
  ['ensemble + document consistency', ensemble, true],
];
for (const [system, model, documents] of systems) {
  const row = {
    system,
    dev: await f1(model, splits.dev!, false, documents),
    devLower: await f1(model, splits.dev!, true, documents),
    test: await f1(model, splits.test!, false, documents),
    testLower: await f1(model, splits.test!, true, documents),
  };
  console.log(`${system.padEnd(34)} dev ${row.dev.toFixed(2)}  dev lower ${row.devLower.toFixed(2)}  test ${row.test.toFixed(2)}  test lower ${row.testLower.toFixed(2)}`);
  rows.push(row);
}
await ensemble.release();
writeResult('ablation-ensemble', { model: ensemble.model, measuredWith: 'npm run eval:ensemble', rows });

const table = rows.map((r) => `| ${r.system} | ${r.dev.toFixed(2)} | ${r.devLower.toFixed(2)} | ${r.test.toFixed(2)} | ${r.testLower.toFixed(2)} |`).join('\n');
/** What the members are, as their manifests say: one recipe with several seeds, or taggers that differ in more. */
function kindOfMembers(): string {
  const taggers = ensemble.members.filter((m): m is Tagger => m instanceof Tagger);
  const others = ensemble.members.length - taggers.length;
  const recipes = new Set(taggers.map((m) => {
    const { hyperparameters: { seed: _seed, ...recipe }, training } = m.manifest as TrainedManifest;
    return JSON.stringify({ recipe, train: training.train });
  }));
  const kind = recipes.size === 1 && taggers.length > 1 ? 'CRF taggers of one recipe and training data, each with its own seed' : "CRF taggers that differ in more than their seed (width, training data or features: each member's settings are listed below)";
  return others === 0 ? kind : `members: ${taggers.length} ${kind}, and ${others} Hugging Face transformer${others > 1 ? 's' : ''}`;
}

/** A transformer member: where it lies, how it reads, whether it sits behind the gate, and its fine-tuning where recorded. */
function transformerLine(m: TransformerModel): string {
  const entry = ensemble.manifest.members[ensemble.members.indexOf(m)]!;
  const gate = entry.gated ? `; behind the gate: it reads only the sentences some word of which gets no label with probability ${ensemble.manifest.gate!.confidentAbove} from the other members' mixture` : '';
  const trainingFile = join(m.folder.dir, 'training.json');
  const t = existsSync(trainingFile) ? (JSON.parse(readFileSync(trainingFile, 'utf8')) as FineTuning) : undefined;
  const training = t ? `; fine-tuned from ${t.base} by \`${t.command}\` (seed ${t.seed}, ${t.minutes} min, torch ${t.torch}), best dev F1 ${t.bestDevF1} by the script's own first-sub-token reading` : '';
  return `a Hugging Face transformer (\`${relative(process.cwd(), m.folder.dir)}\`, ${basename(m.folder.onnxPath)}), aggregation ${m.aggregation}, weight ${entry.weight}${gate}${training}.`;
}

/** What models/transformer/finetune.py records beside its export. */
interface FineTuning {
  readonly command: string;
  readonly base: string;
  readonly seed: number;
  readonly minutes: number;
  readonly torch: string;
  readonly bestDevF1: number;
}

const members = ensemble.members
  .map((m) => {
    if (!(m instanceof Tagger)) return `- **${m.model.name}**: ${transformerLine(m)}`;
    const { hyperparameters, training: t } = m.manifest as TrainedManifest;
    return `- **${m.model.name}**: trained on ${t.train}; ${Object.entries(hyperparameters).map(([k, v]) => `${k}=${v}`).join(', ')}; ${t.minutes} min on ${t.machine}; best epoch ${t.bestEpoch}.`;
  })
  .join('\n');
writeFileSync(
  join('models', 'ensemble', 'README.md'),
  `# Model card: ensemble ${ensemble.model.version}

The batch path's model: ${ensemble.members.length} ${kindOfMembers()}, combined in the TypeScript engine
(\`lambdas/engine/ensemble.ts\`): ${ensemble.manifest.combination}.

## Ablation (F1, TypeScript engine, conlleval rules, CoNLL-2003)

Generated by \`npm run eval:ensemble\`; do not edit by hand.

| system | dev | dev lower-cased | test | test lower-cased |
|---|---|---|---|---|
${table}

Members were selected (best epoch) on dev; document consistency's thresholds and rules were chosen on dev by \`npm run tune:consistency\` (mean of dev F1 as written and lower-cased; \`bench/results/tune-consistency.json\` has the grid); test was only measured.

## Members

${members}

Self-training in rounds: the first round's taggers learned from CoNLL-2003 alone
(\`models/train/ensemble.sh\`); every later student from CoNLL-2003 plus silver sentences
(Reuters-21578, later Slate too) that the previous round's teacher labelled (\`npm run silver\`),
on this machine's CPU. Every command, and each round's teacher, is in \`models/README.md\`; each member reproduces PyTorch within
1e-4 (its \`parity.json\`, checked by the tests).
`,
);
console.log('wrote models/ensemble/README.md');
