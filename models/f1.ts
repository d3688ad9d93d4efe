/**
 * A model's entity F1 on CoNLL sentences through the engine, with conlleval's rules, as
 * written or lower-cased, sentence by sentence or with document consistency
 * (lambdas/engine/document.ts): what the ensemble ablations compare.
 */
import { labelDocuments } from '../lambdas/engine/document.js';
import type { NerModel } from '../lambdas/engine/model.js';
import { lowerCased, type ConllSentence } from '../tools/conll.js';
import { evaluate } from '../tools/conlleval.js';

export async function f1(model: NerModel, gold: ConllSentence[], lowercase: boolean, documents: boolean): Promise<number> {
  const sentences = lowercase ? lowerCased(gold) : gold;
  const predicted = documents ? await labelDocuments(model, sentences) : await model.labelSentences(sentences.map((s) => s.tokens));
  return Number(evaluate(gold.map((s) => s.tags), predicted).overall.f1.toFixed(2));
}
