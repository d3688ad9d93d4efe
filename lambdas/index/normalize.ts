/**
 * Entity-name normalization, shared by the batch path (what it indexes) and the search
 * path (what it looks up): one implementation, so a query and a document can never
 * disagree on a key.
 *
 * "The U.S.'s", "US", "u.s." → "us"; "Société Générale" → "societe generale";
 * "Coca-Cola" → "coca cola"; "Reuters’" → "reuters".
 */

import { createHash } from 'node:crypto';

const ARTICLES = /^(?:the|a|an)\s+/;
/**
 * Longest normalized name kept whole, in UTF-8 bytes. Names become parts of DynamoDB keys
 * (2,048 bytes at most for a partition key) and of every posting and record that names
 * them; a longer one keeps its first characters and a hash of the whole, so it stays one
 * distinct key, the same for the batch path and for a query.
 */
export const MAX_NAME_BYTES = 200;

export function normalizeName(text: string): string {
  return bounded(
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '') // accents and other combining marks
      .toLowerCase()
      .replace(/['’`´]s$/u, '') // possessive 's
      .replace(/(?<=\S)['’`´]$/u, '') // plural possessive: Reuters’
      .replace(/\b(\p{L})\.(?=\p{L}\.|\s|$)/gu, '$1') // U.S. → US, before punctuation goes
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim()
      .replace(ARTICLES, ''),
  );
}

function bounded(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  let head = '';
  for (const ch of name) {
    if (Buffer.byteLength(head + ch) > MAX_NAME_BYTES - hash.length - 1) break;
    head += ch;
  }
  return `${head} ${hash}`;
}

const MINOR_WORDS = new Set(['of', 'the', 'and', 'for', 'de', 'du', 'des', 'la', 'le', 'von', 'van', 'der', 'on', 'in', 'at', '&']);

/** Initials of a multi-word name's significant words: "European Central Bank" → "ecb". */
export function acronymOf(name: string): string | undefined {
  const words = name.split(/[\s-]+/).filter((w) => w && !MINOR_WORDS.has(w.toLowerCase()));
  if (words.length < 2) return undefined;
  return normalizeName(words.map((w) => Array.from(w)[0]).join(''));
}

/** A mention that looks like an acronym: 2-6 capitals, optionally with periods (OPEC, U.N.). */
export function looksLikeAcronym(text: string): boolean {
  const letters = text.replace(/\./g, '');
  return /^\p{Lu}{2,6}s?$/u.test(letters);
}
