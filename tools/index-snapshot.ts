/**
 * The entity index as comparable data: every item of the table, keyed by pk/sk, without
 * what legitimately differs between two builds of the same final state (timestamps, the
 * leases of finished work, a document frequency counter at zero with nothing pending, the
 * tombstones of documents that are gone, the random attempt id in a chunk set's name,
 * `<seq>#<attempt>`: writes.ts), and, given the local word index, which versions' words
 * it holds for each document (`WORDS` entries). The fault tests and `npm run bench:chaos`
 * compare a build that suffered faults with a clean one this way.
 */
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type Snapshot = Map<string, Record<string, unknown>>;

export interface SnapshotOptions {
  /**
   * Leave out which version wrote what (sequencers, fences, chunk sets): for comparing
   * an index built through many versions with one built once from the final state.
   */
  readonly ignoreVersions?: boolean;
  /** The local word engine's index to take in too (local/word-search.ts answers match_all). */
  readonly words?: { readonly endpoint: string; readonly index: string };
}

const VERSION_FIELDS = new Set(['seq', 'sequencer', 'chunkSet', 'versionId']);

function normalize(item: Record<string, unknown>, { ignoreVersions = false }: SnapshotOptions): Record<string, unknown> | undefined {
  const pk = item.pk as string;
  if (pk.startsWith('LEASE#')) return undefined;
  if (pk.startsWith('DF#') && item.count === 0 && item.pending === undefined) return undefined;
  if (pk.startsWith('DOC#') && item.sk === 'META' && item.status === 'deleted') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item).sort(([a], [b]) => a.localeCompare(b))) {
    if (k === 'updatedAt' || (ignoreVersions && VERSION_FIELDS.has(k))) continue;
    out[k] = v instanceof Set ? [...v].sort() : k === 'chunkSet' ? withoutAttempt(v as string) : v;
  }
  if ((item.sk as string).startsWith('ENT#')) out.sk = chunkKey(item.sk as string, ignoreVersions);
  return out;
}

/** A chunk's sort key without its attempt id (and without its version, if asked). */
const chunkKey = (sk: string, ignoreVersions: boolean) => (ignoreVersions ? sk.replace(/^ENT#[^#]+#[^#]+#/, 'ENT#*#*#') : sk.replace(/^(ENT#[^#]+#)[^#]+#/, '$1*#'));

const withoutAttempt = (chunkSet: string) => chunkSet.replace(/#[^#]*$/, '#*');
const keyOf = (item: Record<string, unknown>, ignoreVersions: boolean) => `${item.pk}\u0000${(item.sk as string).startsWith('ENT#') ? chunkKey(item.sk as string, ignoreVersions) : item.sk}`;

export async function snapshot(client: DynamoDBDocumentClient, table: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const n = normalize(item, options);
      if (n) out.set(keyOf(item, options.ignoreVersions ?? false), n);
    }
  }
  if (options.words) {
    const res = await fetch(`${options.words.endpoint}/${encodeURIComponent(options.words.index)}/_search`, { method: 'POST', body: JSON.stringify({ size: 1_000_000, query: { match_all: {} } }) });
    const hits = res.status === 404 ? [] : ((await res.json()) as { hits: { hits: Array<{ _source: { documentId: string; seq: string } }> } }).hits.hits;
    const versions = new Map<string, string[]>();
    for (const { _source: h } of hits) versions.set(h.documentId, [...(versions.get(h.documentId) ?? []), h.seq].sort());
    for (const [documentId, seqs] of versions) out.set(`WORDS\u0000${documentId}`, options.ignoreVersions ? { versions: seqs.length } : { versions: seqs });
  }
  return out;
}

/**
 * Keys whose items differ (missing on one side, or different), with both sides. The
 * vocabulary (`NAME#` items) only ever learns readings (schema.ts): a build that saw
 * earlier versions of documents may know more of them than one built from the final
 * state, never fewer, so `build`'s readings need only contain `clean`'s.
 */
export function differences(build: Snapshot, clean: Snapshot): Array<{ key: string; build?: unknown; clean?: unknown }> {
  const out: Array<{ key: string; build?: unknown; clean?: unknown }> = [];
  for (const key of new Set([...build.keys(), ...clean.keys()])) {
    const l = build.get(key);
    const r = clean.get(key);
    if (key.startsWith('NAME#') && l && (!r || (r.readings as string[]).every((x) => (l.readings as string[]).includes(x)))) continue;
    if (JSON.stringify(l) !== JSON.stringify(r)) out.push({ key: key.replace('\u0000', ' / '), build: l, clean: r });
  }
  return out;
}
