import { describe, expect, it } from 'vitest';
import { acronymOf, looksLikeAcronym, normalizeName } from '../../lambdas/index/normalize.js';
import { resolveEntities, type Mention } from '../../lambdas/index/resolve.js';

describe('normalizeName', () => {
  it.each([
    ["The U.S.'s", 'us'],
    ['US', 'us'],
    ['u.s.', 'us'],
    ['Société Générale', 'societe generale'],
    ['Coca-Cola', 'coca cola'],
    ['Reuters’', 'reuters'],
    ["Germany's", 'germany'],
    ['  New   York  ', 'new york'],
    ['the European Commission', 'european commission'],
    ['AT&T', 'at t'],
  ])('%s → %s', (input, expected) => expect(normalizeName(input)).toBe(expected));
});

describe('acronyms', () => {
  it('takes the initials of significant words', () => {
    expect(acronymOf('Organization of Petroleum Exporting Countries')).toBe('opec');
    expect(acronymOf('European Central Bank')).toBe('ecb');
    expect(acronymOf('Siemens')).toBeUndefined();
  });
  it('recognises acronym-shaped mentions', () => {
    expect(looksLikeAcronym('OPEC')).toBe(true);
    expect(looksLikeAcronym('U.N.')).toBe(true);
    expect(looksLikeAcronym('Opec')).toBe(false);
  });
});

const m = (text: string, type: string, start: number): Mention => ({ text, type, start, end: start + text.length, score: 0.9 });

describe('resolveEntities', () => {
  it('links surnames to full names and acronyms to expansions', () => {
    const entities = resolveEntities([
      m('Helmut Kohl', 'PER', 0),
      m('Organization of Petroleum Exporting Countries', 'ORG', 20),
      m('Kohl', 'PER', 80),
      m('OPEC', 'ORG', 90),
      m("Kohl's", 'PER', 100),
      m('Bonn', 'LOC', 120),
    ]);
    const kohl = entities.find((e) => e.key === 'helmut kohl')!;
    expect(kohl.mentions.map((x) => x.start)).toEqual([0, 80, 100]);
    expect(kohl.aliases).toEqual(['kohl']);
    const opec = entities.find((e) => e.key === 'organization of petroleum exporting countries')!;
    expect(opec.aliases).toEqual(['opec']);
    expect(entities).toHaveLength(3);
  });

  it('leaves an ambiguous short mention alone', () => {
    const entities = resolveEntities([m('John Smith', 'PER', 0), m('Anna Smith', 'PER', 20), m('Smith', 'PER', 40)]);
    expect(entities.map((e) => e.key).sort()).toEqual(['anna smith', 'john smith', 'smith']);
  });

  it("links an organisation's first word, and no other word or type", () => {
    const entities = resolveEntities([
      m('Siemens AG', 'ORG', 0),
      m('Siemens', 'ORG', 20),
      m('non-OPEC', 'ORG', 40),
      m('OPEC', 'ORG', 60),
      m('Gulf of Mexico', 'LOC', 80),
      m('Mexico', 'LOC', 100),
      m('IBM PC', 'MISC', 120),
      m('PC', 'MISC', 140),
    ]);
    expect(entities.find((e) => e.key === 'siemens ag')!.aliases).toEqual(['siemens']);
    expect(entities.map((e) => e.key).sort()).toEqual(['gulf of mexico', 'ibm pc', 'mexico', 'non opec', 'opec', 'pc', 'siemens ag']);
  });

  it('does not link a surname across types', () => {
    const entities = resolveEntities([m('Ford Motor', 'ORG', 0), m('Ford', 'PER', 20)]);
    expect(entities).toHaveLength(2);
  });
});
