import { describe, expect, it } from 'vitest';
import { compromiseTags } from '../../bench/peers/compromise.js';
import { ontoNotesToConll, ONTONOTES_TO_CONLL } from '../../bench/peers/labels.js';
import { keepTypes, PER_ORG_LOC } from '../../tools/conll.js';
import { evaluate } from '../../tools/conlleval.js';

describe('bench:peers label views', () => {
  it('maps every OntoNotes type en_core_web_sm predicts to a CoNLL type or to nothing', () => {
    const labels = ['CARDINAL', 'DATE', 'EVENT', 'FAC', 'GPE', 'LANGUAGE', 'LAW', 'LOC', 'MONEY', 'NORP', 'ORDINAL', 'ORG', 'PERCENT', 'PERSON', 'PRODUCT', 'QUANTITY', 'TIME', 'WORK_OF_ART'];
    expect(Object.keys(ONTONOTES_TO_CONLL).sort()).toEqual(labels);
    expect(new Set(Object.values(ONTONOTES_TO_CONLL))).toEqual(new Set(['PER', 'ORG', 'LOC', 'MISC', null]));
  });

  it('maps tag by tag, keeping adjacent entities apart and dropping numeric ones', () => {
    const tags = ['B-PERSON', 'I-PERSON', 'B-FAC', 'B-GPE', 'O', 'B-NORP', 'B-DATE', 'I-DATE', 'B-ORG'];
    expect(ontoNotesToConll(tags)).toEqual(['B-PER', 'I-PER', 'B-LOC', 'B-LOC', 'O', 'B-MISC', 'O', 'O', 'B-ORG']);
    expect(() => ontoNotesToConll(['B-ANIMAL'])).toThrow(/"ANIMAL"/);
  });

  it('scores the PER/ORG/LOC view through conlleval with MISC gone from gold and prediction', () => {
    const gold = [['B-PER', 'I-PER', 'O', 'B-MISC', 'O', 'B-LOC']];
    const predicted = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-MISC']];
    // all four types: PER right, MISC and LOC wrong: 1 of 3
    expect(evaluate(gold, predicted).overall.counts).toEqual({ correct: 1, predicted: 3, gold: 3 });
    // PER/ORG/LOC: the predicted MISC is no false positive, the gold MISC no miss, the LOC on it a false positive
    const view = evaluate(gold.map((g) => keepTypes(g, PER_ORG_LOC)), predicted.map((p) => keepTypes(p, PER_ORG_LOC)));
    expect(view.overall.counts).toEqual({ correct: 1, predicted: 2, gold: 2 });
    expect(Object.keys(view.byType).sort()).toEqual(['LOC', 'PER']);
  });

  it("puts compromise's people, organizations and places on the CoNLL tokens they cover", () => {
    const tokens = 'Peter Blackburn of the European Commission spoke in Brussels .'.split(' ');
    expect(compromiseTags(tokens)).toEqual(['B-PER', 'I-PER', 'O', 'O', 'B-ORG', 'I-ORG', 'O', 'O', 'B-LOC', 'O']);
    // a match's punctuation (the closing quote and full stop are compromise's "post" of York) stays O
    expect(compromiseTags(['"', 'New', 'York', '"', '.'])).toEqual(['O', 'B-LOC', 'I-LOC', 'O', 'O']);
    expect(compromiseTags(['.'])).toEqual(['O']);
  });
});
