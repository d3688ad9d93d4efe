/**
 * Entity resolution within one document: mentions of the same entity are grouped under
 * one canonical name, so the index holds "Helmut Kohl" once with all its mentions, not
 * "Helmut Kohl" and "Kohl" as strangers.
 *
 * - mentions with the same type and normalized name are one entity;
 * - a one-word mention is linked to a longer name of the same type where that word is
 *   how such names are shortened: a person's last word ("Kohl" to "Helmut Kohl"), an
 *   organisation's first ("Siemens" to "Siemens AG"), when exactly one candidate exists.
 *   Other positions and types name other things: "OPEC" in "non-OPEC", "Mexico" in
 *   "Gulf of Mexico" or "Mexico City";
 * - an acronym (OPEC) is linked to a name of any type whose initials it is
 *   ("Organization of Petroleum Exporting Countries"), when exactly one candidate exists.
 * The canonical name is the longest form; every other normalized form is an alias.
 */
import { acronymOf, looksLikeAcronym, normalizeName } from './normalize.js';
import { entityKey } from './schema.js';

export interface Mention {
  readonly text: string;
  readonly type: string;
  /** Code-point offsets into the document's text. */
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

export interface ResolvedEntity {
  readonly type: string;
  /** The canonical surface form (the longest mention). */
  readonly name: string;
  /** normalizeName(name): the key postings are stored under. */
  readonly key: string;
  /** Other normalized forms that refer to it in this document (surnames, acronyms). */
  readonly aliases: string[];
  readonly mentions: Mention[];
}

interface Group {
  type: string;
  key: string;
  mentions: Mention[];
  parent?: Group;
}

const words = (key: string) => key.split(' ');

/** Which word of a longer name a one-word mention of this type may stand for. */
const SHORT_FORM: Record<string, (w: string[]) => string | undefined> = {
  per: (w) => w.at(-1),
  person: (w) => w.at(-1),
  org: (w) => w[0],
  organization: (w) => w[0],
  corporation: (w) => w[0],
};
const root = (g: Group): Group => (g.parent ? root(g.parent) : g);

/**
 * Longest mention text stored, in code points: a "name" of 10 MB without a space would
 * otherwise be copied into every chunk and posting that mentions it. Offsets stay exact;
 * the text ends with … where it was cut.
 */
export const MAX_MENTION_CHARS = 200;

function clipped(m: Mention): Mention {
  if (m.text.length <= MAX_MENTION_CHARS) return m; // UTF-16 length bounds the code points
  const cps = Array.from(m.text);
  return cps.length <= MAX_MENTION_CHARS ? m : { ...m, text: `${cps.slice(0, MAX_MENTION_CHARS - 1).join('')}…` };
}

export function resolveEntities(found: readonly Mention[]): ResolvedEntity[] {
  const groups = new Map<string, Group>();
  for (const original of found) {
    const key = normalizeName(original.text); // from the whole text: a clipped one could merge two names
    const m = clipped(original);
    if (!key) continue;
    const id = entityKey({ type: m.type, key });
    const g = groups.get(id) ?? { type: m.type, key, mentions: [] };
    g.mentions.push(m);
    groups.set(id, g);
  }
  const all = [...groups.values()];
  const longer = (g: Group) => all.filter((o) => o !== g && words(o.key).length > words(g.key).length);

  for (const g of all) {
    const single = words(g.key).length === 1;
    if (single && looksLikeAcronym(g.mentions[0]!.text)) {
      const expansions = longer(g).filter((o) => o.mentions.some((m) => acronymOf(m.text) === g.key));
      if (expansions.length === 1) {
        g.parent = expansions[0];
        continue;
      }
    }
    const shortForm = SHORT_FORM[g.type.toLowerCase()];
    if (single && shortForm) {
      const fitting = longer(g).filter((o) => o.type === g.type && shortForm(words(o.key)) === g.key);
      const roots = [...new Set(fitting.map(root))];
      if (roots.length === 1) g.parent = roots[0];
    }
  }

  const byRoot = new Map<Group, Group[]>();
  for (const g of all) byRoot.set(root(g), [...(byRoot.get(root(g)) ?? []), g]);
  return [...byRoot.entries()].map(([r, members]) => {
    const mentionsOf = members.flatMap((g) => g.mentions).sort((a, b) => a.start - b.start);
    const longest = r.mentions.reduce((a, b) => (Array.from(b.text).length > Array.from(a.text).length ? b : a));
    return {
      type: r.type,
      name: longest.text,
      key: r.key,
      aliases: [...new Set(members.map((g) => g.key).filter((k) => k !== r.key))],
      mentions: mentionsOf,
    };
  });
}
