/**
 * A document's terms (lambdas/index/terms.ts): a function of its text alone, names first,
 * bounded, normalized as names are so that a query's words meet them.
 */
import { describe, expect, it } from 'vitest';
import { documentTerms, MAX_DOCUMENT_TERMS, MAX_DOCUMENT_TERMS_WITH_NAMES, wordsOf } from '../../lambdas/index/terms.js';

describe('document terms', () => {
  it('normalizes words as names and leaves out function words, one-letter and letterless tokens', () => {
    expect(wordsOf("The U.S. trade bill, Reagan's veto and Coca-Cola in 1987 (a)").map((w) => w.term)).toEqual(['us', 'trade', 'bill', 'reagan', 'veto', 'coca', 'cola']);
  });

  it('puts words written as names, and in the title, before frequent ones', () => {
    const text = 'Rice talks\n\nthe rice harvest and the rice price and rice exports fell, Nakasone told farmers.';
    const terms = documentTerms(text, 'Rice talks'.length).map((t) => t.term);
    expect(terms.slice(0, 2)).toEqual(['rice', 'nakasone']);
    expect(terms).toContain('harvest');
  });

  it('keeps MAX_DOCUMENT_TERMS words, and a long list of names up to MAX_DOCUMENT_TERMS_WITH_NAMES', () => {
    const common = Array.from({ length: 300 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`).join(' ');
    expect(documentTerms(common, 0)).toHaveLength(MAX_DOCUMENT_TERMS);
    // A results table: every line starts with a name.
    const table = Array.from({ length: 300 }, (_, i) => `Runner${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} ran`).join('\n');
    expect(documentTerms(table, 0)).toHaveLength(MAX_DOCUMENT_TERMS_WITH_NAMES);
  });

  it('chooses the same terms for the same text, whatever else exists', () => {
    const text = 'Opec ministers met in Vienna. Saudi Arabia and Iran disagreed on output quotas.';
    expect(documentTerms(text, 0)).toEqual(documentTerms(text, 0));
  });
});
