import { describe, expect, it } from 'vitest';
import { harmonizeDocument } from '../../lambdas/engine/document.js';
import type { ScoredSpan } from '../../lambdas/engine/extract.js';

const doc = (...sentences: string[]) => sentences.map((s) => s.split(' '));
const span = (start: number, end: number, type: string, score: number): ScoredSpan => ({ start, end, type, score });
const brief = (rows: ScoredSpan[][]) => rows.map((row) => row.map((s) => `${s.start}-${s.end}:${s.type}`));

describe('harmonizeDocument', () => {
  it('retypes a string whose type the rest of the document outvotes', () => {
    const sentences = doc('Jordan beat Utah', 'Jordan scored 30', 'Jordan rested');
    const out = harmonizeDocument(sentences, [[span(0, 1, 'PER', 0.9)], [span(0, 1, 'PER', 0.95)], [span(0, 1, 'LOC', 0.4)]]);
    expect(brief(out)).toEqual([['0-1:PER'], ['0-1:PER'], ['0-1:PER']]);
  });

  it('keeps a type with enough votes of its own', () => {
    const sentences = doc('Jordan beat Utah', 'Jordan scored 30');
    const out = harmonizeDocument(sentences, [[span(0, 1, 'PER', 0.6)], [span(0, 1, 'LOC', 0.55)]]);
    expect(brief(out)).toEqual([['0-1:PER'], ['0-1:LOC']]);
  });

  it('propagates a confident name to its untagged capitalised recurrences, not to lower-case words', () => {
    const sentences = doc('Halvard Bank rose', 'shares of Halvard Bank fell', 'the halvard bank');
    const out = harmonizeDocument(sentences, [[span(0, 2, 'ORG', 0.97)], [], []]);
    expect(brief(out)).toEqual([['0-2:ORG'], ['2-4:ORG'], []]);
    expect(out[1]![0]!.score).toBeLessThanOrEqual(0.97);
  });

  it('lends a confident person name its surname, where it stands alone later', () => {
    const sentences = doc('Bill Clinton spoke', 'Clinton said', 'Clinton Avenue', 'He met Clinton');
    const out = harmonizeDocument(sentences, [[span(0, 2, 'PER', 0.98)], [], [span(0, 2, 'LOC', 0.9)], [span(2, 3, 'LOC', 0.5)]]);
    // Tagged where untagged, retyped where the model was less sure, untouched inside another name.
    expect(brief(out)).toEqual([['0-2:PER'], ['0-1:PER'], ['0-2:LOC'], ['2-3:PER']]);
    // Not for other types, unless asked.
    const orgs = harmonizeDocument(doc('Halvard Bank rose', 'Bank said'), [[span(0, 2, 'ORG', 0.98)], []]);
    expect(brief(orgs)).toEqual([['0-2:ORG'], []]);
  });
});
