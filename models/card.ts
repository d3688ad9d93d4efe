/** The model card (models/NAME/README.md), generated from the manifest so the two cannot disagree. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../lambdas/engine/manifest.js';

/** F1, precision and recall overall, and F1 by type, rounded to two decimals. */
export interface Scores {
  readonly f1: number;
  readonly precision: number;
  readonly recall: number;
  readonly byType: Record<string, number>;
}

/** What `npm run eval:model` records in a manifest (models/evaluate.ts): the engine's scores on each split, as written and lower-cased. */
export interface EngineMetrics {
  readonly dataset: string;
  readonly measuredWith: string;
  readonly measuredAt: string;
  readonly dev?: { readonly cased: Scores; readonly lowercased: Scores };
  readonly test?: { readonly cased: Scores; readonly lowercased: Scores };
}

/** A manifest as nerve_train writes it (models/train/nerve_train/export.py): what the engine reads, and how the model was made. */
export interface TrainedManifest extends ModelManifest {
  readonly hyperparameters: Record<string, string | number | boolean | null>;
  readonly training: {
    readonly data: string;
    readonly train: string;
    readonly dev: string;
    readonly selection: string;
    readonly pretraining: string | null;
    readonly seed: number;
    readonly bestEpoch: number;
    readonly minutes: number;
    readonly machine: string;
    readonly command: string;
    /** The checkpoint the run went on from (`nerve_train.train --init`), as its own run recorded it. */
    readonly initializedFrom?: { readonly name: string; readonly seed: number; readonly bestEpoch: number; readonly minutes: number; readonly command: string };
  };
  readonly metrics?: Record<string, unknown> & { readonly engine?: EngineMetrics };
}

/** What each training set is, for the card's limits; from the datasets' own READMEs (docs/datasets.md says where to get each). */
const DATASETS: Record<string, { domain: string; licence: string }> = {
  conll2003: {
    domain: 'Trained on 1996 Reuters news: expect lower accuracy on other domains (tweets, biomedical text, product names) and on entity types it never saw.',
    licence: 'CoNLL-2003 (research use only; where to get it: docs/datasets.md)',
  },
  wnut17: {
    domain: 'Trained on user-generated text (Twitter, Reddit, YouTube, StackExchange) whose test set holds mostly entities never seen in training, by design: expect low recall on new names, and do not use it on news.',
    licence: 'WNUT-17 (CC-BY 4.0; cite Derczynski et al. 2017; where to get it: docs/datasets.md)',
  },
  mit_restaurant: {
    domain: 'Trained on short, lower-case spoken restaurant queries: its types (Amenity, Cuisine, Dish, Hours, Location, Price, Rating, Restaurant_Name) belong to that task, not to documents.',
    licence: 'MIT Restaurant (no licence stated; research data, cite Liu et al. 2013; where to get it: docs/datasets.md)',
  },
};

export function writeModelCard(dir: string): void {
  // A folder written by hand ("bring your own model") may lack what training records: the card says n/a.
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Partial<TrainedManifest> & ModelManifest;
  const e: Partial<EngineMetrics> = m.metrics?.engine ?? {};
  const t: Partial<TrainedManifest['training']> = m.training ?? {};
  const h = m.hyperparameters ?? {};
  const sizeMb = (statSync(join(dir, m.file)).size / 1e6).toFixed(1);
  const types = m.labels.filter((l) => l.startsWith('B-')).map((l) => l.slice(2));
  const row = (name: string, s?: Scores) =>
    s ? `| ${name} | ${s.f1.toFixed(2)} | ${s.precision.toFixed(2)} | ${s.recall.toFixed(2)} | ${types.map((k) => s.byType[k]?.toFixed(2) ?? '–').join(' | ')} |` : '';
  const dataset = DATASETS[t.data ?? ''] ?? DATASETS.conll2003!;
  const card = `# Model card: ${m.name} ${m.version}

Generated from \`manifest.json\` by \`npm run eval:model -- --model ${m.name}\`; do not edit by hand.

## What it is

${h.encoder === 'idcnn' ? `An iterated dilated CNN tagger (${h.hidden} filters, its block applied ${h.iterations} times)` : 'A BiLSTM tagger'} over word embeddings, a character CNN and a casing feature, with a
linear-chain CRF whose transitions are in the manifest. The ONNX graph (opset 17, dynamic
batch and length, ${sizeMb} MB) outputs emission scores; the engine decodes them with
BIO-constrained Viterbi and gives each entity its probability under the CRF.
Types: ${types.join(', ')}. Feature scheme \`${m.inputs.featureScheme}\`: ${m.inputs.words.length.toLocaleString('en')} words,
${m.inputs.chars.length} characters. No weights from outside: everything was learned here.

## Accuracy (TypeScript engine, conlleval rules, ${e.dataset ?? 'n/a'})

| split | F1 | precision | recall | ${types.join(' | ')} |
|---|---|---|---|${types.map(() => '---').join('|')}|
${[row('dev', e.dev?.cased), row('dev, lower-cased', e.dev?.lowercased), row('test', e.test?.cased), row('test, lower-cased', e.test?.lowercased)].filter(Boolean).join('\n')}

Measured ${e.measuredAt ?? 'n/a'} with \`${e.measuredWith ?? 'n/a'}\`. The model was selected on dev
(${t.selection ?? 'n/a'}); test was never used for any choice.

## Training

- Data: ${t.data ?? 'n/a'}, ${t.train ?? ''}; dev: ${t.dev ?? 'n/a'}.
- Pretraining: ${t.pretraining ?? 'none'}.
- Augmentation: ${Math.round(Number(h.lowercase_prob ?? 0) * 100)}% of sentences lower-cased each epoch (queries are often typed in lower case); word dropout on singletons.
- Hyperparameters: ${Object.entries(h).map(([k, v]) => `${k}=${v}`).join(', ')}.
- Seed ${t.seed ?? 'n/a'}; best epoch ${t.bestEpoch ?? 'n/a'}; ${t.minutes ?? 'n/a'} minutes on ${t.machine ?? 'n/a'}.
- Command (from \`models/train/\`): \`${t.command ?? 'n/a'}\`
${t.initializedFrom ? `- Went on from ${t.initializedFrom.name} (seed ${t.initializedFrom.seed}; best epoch ${t.initializedFrom.bestEpoch}; ${t.initializedFrom.minutes} minutes): \`${t.initializedFrom.command}\`\n` : ''}
## Scores and limits

\`score\` is the probability that exactly this span, with this type, is an entity, under the
model's CRF distribution over valid label sequences (forward-backward). It is a model
probability, not a calibrated frequency: read 0.5 as "the model is torn", not as
"right half the time".

${dataset.domain} Training data: ${dataset.licence}.
`;
  writeFileSync(join(dir, 'README.md'), card);
}
