/** `nerve tag` and `nerve eval`: a model over CoNLL files, scored by conlleval's rules (tools/). */
import { writeFileSync } from 'node:fs';
import { labelDocuments } from '../lambdas/engine/document.js';
import { lowerCased, readConll } from '../tools/conll.js';
import { evaluate, formatReport } from '../tools/conlleval.js';
import { usageError, type Command, type Values } from './command.js';
import { loadModelOf, MODEL_OPTIONS, MODEL_USAGE } from './model.js';

const CONLL_USAGE = `  --conll FILE      CoNLL-format tokens: first column the token, last the gold tag
  --lowercase       lower-cases the tokens first (query-style text)
  --documents       applies document-level label consistency within each -DOCSTART- document
${MODEL_USAGE}`;

const CONLL_OPTIONS = { ...MODEL_OPTIONS, conll: { type: 'string' }, lowercase: { type: 'boolean', default: false }, documents: { type: 'boolean', default: false } } as const;

/** The gold sentences and the model's tags for them. */
async function tagged(c: Command, values: Values) {
  if (!values.conll) throw usageError(c, `${c.name} needs --conll FILE`);
  const file = String(values.conll);
  const read = readConll(file);
  const sentences = values.lowercase ? lowerCased(read) : read;
  const model = await loadModelOf(values);
  try {
    const predicted = values.documents ? await labelDocuments(model, sentences) : await model.labelSentences(sentences.map((s) => s.tokens));
    return { file, sentences, predicted, identity: model.model };
  } finally {
    await model.release();
  }
}

export const tagCommand: Command = {
  name: 'tag',
  usage: `usage: nerve tag --conll FILE [--out FILE] [--lowercase] [--documents] [--model NAME|DIR]
writes "token gold predicted" lines, the input of the CoNLL conlleval script

  --out FILE        writes there instead of standard output
${CONLL_USAGE}`,
  options: { ...CONLL_OPTIONS, out: { type: 'string' } },
  async run(values) {
    const { sentences, predicted } = await tagged(this, values);
    const text = sentences.map((s, i) => s.tokens.map((t, j) => `${t} ${s.tags[j]} ${predicted[i]![j]}`).join('\n') + '\n').join('\n');
    if (values.out) writeFileSync(String(values.out), text);
    else process.stdout.write(text);
    return 0;
  },
};

export const evalCommand: Command = {
  name: 'eval',
  usage: `usage: nerve eval --conll FILE [--json] [--lowercase] [--documents] [--model NAME|DIR]
entity-level precision, recall and F1, per type and overall, by conlleval's rules

  --json            the report as JSON
${CONLL_USAGE}`,
  options: { ...CONLL_OPTIONS, json: { type: 'boolean', default: false } },
  async run(values) {
    const { file, sentences, predicted, identity } = await tagged(this, values);
    const report = evaluate(sentences.map((s) => s.tags), predicted);
    if (values.json) console.log(JSON.stringify({ model: identity, file, lowercase: values.lowercase, documents: values.documents, ...report }, null, 1));
    else console.log(`model ${identity.name} ${identity.version} on ${file}${values.lowercase ? ' (lower-cased)' : ''}${values.documents ? ' (document consistency)' : ''}\n${formatReport(report)}`);
    return 0;
  },
};
