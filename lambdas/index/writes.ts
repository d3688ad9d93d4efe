/**
 * Writing a document version into the index: the protocol of PROTOCOL.md. Every step is
 * idempotent and fenced by the version's sequencer, so any attempt, interrupted
 * anywhere, is completed by its retry or undone by the next version's writer.
 *
 * 1. Settle the previous version if it was left unsettled (its clean-up unfinished).
 * 2. A multi-document file records its intent (the version's children) on its record,
 *    fenced: no newer version may have started. Its children cannot be found from its own
 *    items; a single document's attempt is found by its chunks (step 5).
 * 3. Write this attempt's entity chunks (keys of their own, so the live ones are never
 *    overwritten), then its postings (fenced, each counted in the transaction that writes
 *    it: postings.ts), name readings and words (the word index, where there is one). The
 *    chunks come first: they are the list of what the attempt posts, which whoever comes
 *    next removes if this attempt is abandoned.
 * 4. Replace the record, fenced, naming its chunk set: unsettled, unless this is the
 *    document's first version and nothing else is there to clean up.
 * 5. Clean up: the postings of every other chunk set's entities this version lacks (older
 *    versions, abandoned attempts) and their words, then those chunks, then stale
 *    children; mark settled.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { batchWrite, type IndexStore, type WriteRequest } from './dynamo.js';
import { removePostings, SupersededError, writePostings } from './postings.js';
import type { ResolvedEntity } from './resolve.js';
import { postsTerms, TERM_TYPE } from './terms.js';
import { compareSequencers, documentIdOf, ENTITY_CHUNK_PREFIX, entityKey, fenceOf, keys, POSTING_MENTIONS, splitEntityKey } from './schema.js';
import { addReadings, chunkEntities, getDocument, salience, type DocumentRecord, type DocumentVersion, type VersionContent, type WriteIntent } from './store.js';

export type WriteOutcome = 'applied' | 'stale' | 'resumed';

const isSettled = (r: DocumentRecord) => r.settled !== false;

/** Applies `content` as version `version.sequencer` of a document, unless a version as new is already there. */
export interface WriteOptions {
  /**
   * A multi-document file's children, written between its intent and its record. It may
   * write only some (a time budget): it then says which, and why, and the record lists those.
   */
  readonly writeChildren?: () => Promise<{ lines: number[]; reason: string } | void>;
  /** The record as just read (with its intent), to save reading it again. */
  readonly previous?: DocumentRecord | null;
}

export async function writeVersion(store: IndexStore, version: DocumentVersion, content: VersionContent, { writeChildren, previous }: WriteOptions = {}): Promise<WriteOutcome> {
  const seq = fenceOf(version.sequencer);
  const { documentId } = version;
  const prev = previous === undefined ? await getDocument(store, documentId, { withIntent: true }) : (previous ?? undefined);
  if (prev?.seq !== undefined) {
    const order = compareSequencers(seq, prev.seq);
    if (order < 0 || (order === 0 && isSettled(prev))) return 'stale';
    if (!isSettled(prev)) {
      await cleanUp(store, prev);
      if (order === 0) return 'resumed';
    }
  }
  const entities = content.status === 'indexed' ? content.entities : [];
  const words = store.words !== undefined && content.status === 'indexed' && (content.text ?? '') !== '';
  const terms = content.status === 'indexed' ? postedTerms(store, content) : [];
  const hasItems = entities.length > 0 || terms.length > 0 || words;
  const children = content.status === 'indexed' ? (content.childLines ?? []) : [];
  const sameIntent = prev?.intent?.seq === seq ? prev.intent : undefined;
  const chunkSet = `${seq}#${randomUUID().slice(0, 8)}`;
  try {
    if (children.length > 0) await recordIntent(store, documentId, seq, { childLines: union(children, sameIntent?.childLines ?? []) });
    // What other attempts left, read before this one writes its own: with nothing there, a first version is settled as written.
    const left = await chunkSets(store, documentId);
    if (hasItems && content.status === 'indexed') await writeItems(store, version, seq, chunkSet, content, words);
    const partial = await writeChildren?.();
    const written = partial ? partial.lines : children;
    const staleChildren = union(prev?.childLines ?? [], prev?.staleChildLines ?? [], prev?.intent?.childLines ?? []).filter((c) => !written.includes(c));
    const { entities: _, titleChars: __, childLines: ___, terms: ____, text: _____, ...fields } = content as VersionContent & { entities?: unknown; titleChars?: unknown; childLines?: unknown; terms?: unknown; text?: unknown };
    // A first version with nothing of another attempt beside it is settled as it is written.
    const settled = prev === undefined && staleChildren.length === 0 && left.size === 0;
    const record: DocumentRecord = {
      ...version,
      ...fields,
      seq,
      settled,
      entityCount: entities.length,
      chunkCount: content.status === 'indexed' ? chunksOf(store, content, words).length : 0,
      ...(hasItems ? { chunkSet } : {}),
      ...(written.length > 0 ? { childLines: written } : {}),
      ...(partial ? { reason: partial.reason } : {}),
      ...(staleChildren.length > 0 ? { staleChildLines: staleChildren } : {}),
      updatedAt: new Date().toISOString(),
    };
    await fenced(store.client.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...keys.document(documentId), ...record },
        ConditionExpression: '(attribute_not_exists(#seq) OR #seq < :seq OR (#seq = :seq AND settled = :no)) AND (attribute_not_exists(intent) OR intent.#seq <= :seq)',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: { ':seq': seq, ':no': false },
      }),
    ));
    if (!settled) await cleanUp(store, record);
    return 'applied';
  } catch (e) {
    if (!(e instanceof SupersededError)) throw e;
    // A newer version's writer settles what this one left; but words written after its
    // clean-up read this attempt's chunks would be left behind: removed here, unless the
    // record is this very version (another attempt's, whose words share the id).
    if (words && (await getDocument(store, documentId))?.seq !== seq) await store.words!.remove(documentId, [seq]);
    return 'stale';
  }
}

/** Step 2: the keys and children this version is about to write, so that whoever comes next can undo them. */
async function recordIntent(store: IndexStore, documentId: string, seq: string, intent: Omit<WriteIntent, 'seq'>): Promise<void> {
  await fenced(store.client.send(
    new UpdateCommand({
      TableName: store.table,
      Key: keys.document(documentId),
      UpdateExpression: 'SET intent = :intent',
      ConditionExpression: '(attribute_not_exists(#seq) OR #seq < :seq OR (#seq = :seq AND settled = :no)) AND (attribute_not_exists(intent) OR intent.#seq <= :seq)',
      ExpressionAttributeNames: { '#seq': 'seq' },
      ExpressionAttributeValues: { ':intent': { seq, ...intent }, ':seq': seq, ':no': false },
    }),
  ));
}

type IndexedContent = Extract<VersionContent, { status: 'indexed' }>;

/** The terms posted as `~term` postings (terms.ts postsTerms); they ride on the entity postings either way (docTerms). */
const postedTerms = (store: IndexStore, content: IndexedContent) => (postsTerms(store) ? (content.terms ?? []) : []);

type Chunk = { entities: ResolvedEntity[]; terms?: string[]; words?: boolean };

/**
 * The chunk items' contents: the entities in chunks, the terms on the first (one of its
 * own when there are no entities), and on it too whether the attempt wrote words, so that
 * whoever cleans up after it knows to remove them.
 */
function chunksOf(store: IndexStore, content: IndexedContent, words: boolean): Chunk[] {
  const chunks: Chunk[] = chunkEntities(content.entities).map((entities) => ({ entities }));
  const terms = postedTerms(store, content).map((t) => t.term);
  if (terms.length > 0 || words) chunks[0] = { entities: chunks[0]?.entities ?? [], ...(terms.length > 0 ? { terms } : {}), ...(words ? { words } : {}) };
  return chunks;
}

/**
 * Entities and terms of a document carried on each of its postings (search's filters,
 * facets and term reranking), the most salient first: enough for most documents (a
 * Reuters story has 7 entities), small enough that a search reading hundreds of postings
 * stays fast.
 */
const CONTEXT_ENTITIES = 16;
const CONTEXT_TERMS = 16;

/** Step 3: chunks, postings (entities' and terms'), readings, words. */
async function writeItems(store: IndexStore, version: DocumentVersion, seq: string, chunkSet: string, content: IndexedContent, words: boolean): Promise<void> {
  const { documentId } = version;
  const chunks: WriteRequest[] = chunksOf(store, content, words).map((chunk, n) => ({ PutRequest: { Item: { ...keys.entityChunk(documentId, chunkSet, n), ...chunk } } }));
  await batchWrite(store, chunks);
  const first = new Map<string, ResolvedEntity>();
  for (const e of content.entities) if (!first.has(entityKey(e))) first.set(entityKey(e), e);
  const ranked = [...first.values()].map((e) => ({ e, rank: salience(e, content.chars ?? 0, content.titleChars) }));
  const terms = content.terms ?? [];
  const posted = postedTerms(store, content);
  const context = {
    docEntities: [...ranked].sort((a, b) => b.rank - a.rank || (entityKey(a.e) < entityKey(b.e) ? -1 : 1)).slice(0, CONTEXT_ENTITIES).map(({ e }) => entityKey(e)),
    docTerms: terms.slice(0, CONTEXT_TERMS).map((t) => t.term),
  };
  const common = { documentId, s3Key: version.key, line: version.line, ...context };
  await writePostings(store, seq, [
    ...ranked.map(({ e, rank }) => ({
      entity: e,
      content: { ...common, rank, name: e.name, mentions: e.mentions.length, first: e.mentions[0]!.start, spans: e.mentions.slice(0, POSTING_MENTIONS).map((m): [number, number, string] => [m.start, m.end, m.text]) },
    })),
    // A term's posting says where it is salient; its mentions are not kept (matches highlight entities).
    ...posted.map((t) => ({ entity: { type: TERM_TYPE, key: t.term }, content: { ...common, rank: t.rank, name: t.term, mentions: 1, first: 0, spans: [] } })),
  ]);
  const readings = new Map<string, Set<string>>(); // name → the entities it stands for here
  for (const e of first.values()) for (const name of [e.key, ...e.aliases]) readings.set(name, (readings.get(name) ?? new Set()).add(entityKey(e)));
  await addReadings(store, readings);
  // Its own id (`<documentId>#<seq>`): never another version's words, however late this attempt runs.
  if (words) await store.words!.write({ documentId, seq, text: content.text! });
}

/** Step 5, also the completion of an unsettled record left by a crash. */
export async function cleanUp(store: IndexStore, record: DocumentRecord): Promise<void> {
  const seq = record.seq!;
  const sets = await chunkSets(store, record.documentId);
  const mine = sets.get(record.chunkSet ?? '')?.entities ?? new Set<string>();
  const stale = new Set([...sets].filter(([id]) => id !== record.chunkSet).flatMap(([, set]) => [...set.entities].filter((k) => !mine.has(k))));
  await removePostings(store, record.documentId, seq, [...stale].map((k) => {
    const [type, key] = splitEntityKey(k);
    return { type, key };
  }));
  // Words of other versions, and of this version's abandoned attempts when this one has none (they share its id).
  const mineHasWords = sets.get(record.chunkSet ?? '')?.words ?? false;
  const staleWords = [...new Set([...sets].filter(([id, set]) => id !== record.chunkSet && set.words).map(([id]) => id.split('#')[0]!))].filter((s) => s !== seq || !mineHasWords);
  if (staleWords.length > 0) await store.words?.remove(record.documentId, staleWords);
  // Only now: until their postings are gone, the other sets' chunks are the list of them.
  const otherChunks = [...sets].filter(([id]) => id !== record.chunkSet).flatMap(([, set]) => set.items.map((Key): WriteRequest => ({ DeleteRequest: { Key } })));
  await batchWrite(store, otherChunks);
  for (const line of record.staleChildLines ?? []) {
    await writeVersion(store, { documentId: documentIdOf(record.bucket, record.key, line), bucket: record.bucket, key: record.key, line, sequencer: record.sequencer }, { status: 'deleted' });
  }
  await fenced(store.client.send(
    new UpdateCommand({
      TableName: store.table,
      Key: keys.document(record.documentId),
      UpdateExpression: 'SET settled = :yes REMOVE staleChildLines',
      ConditionExpression: '#seq = :seq',
      ExpressionAttributeNames: { '#seq': 'seq' },
      ExpressionAttributeValues: { ':yes': true, ':seq': seq },
    }),
  ));
}

interface ChunkSet {
  /** entityKey of every entity and term (TERM_TYPE) it lists: what the attempt posted. */
  readonly entities: Set<string>;
  readonly items: Array<{ pk: string; sk: string }>;
  /** The attempt wrote its version's words to the word index. */
  words: boolean;
}

/** Every chunk set of a document (`<seq>#<attempt>` → what it lists), by one paginated Query. */
async function chunkSets(store: IndexStore, documentId: string): Promise<Map<string, ChunkSet>> {
  const sets = new Map<string, ChunkSet>();
  const pages = paginateQuery({ client: store.client }, {
    TableName: store.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ent)',
    ExpressionAttributeValues: { ':pk': keys.document(documentId).pk, ':ent': ENTITY_CHUNK_PREFIX },
    ConsistentRead: true,
  });
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const [, seq, attempt] = (item.sk as string).split('#') as [string, string, string]; // ENT#<seq>#<attempt>#<n>
      const id = `${seq}#${attempt}`;
      const set = sets.get(id) ?? { entities: new Set<string>(), items: [], words: false };
      if (item.words === true) set.words = true;
      for (const e of item.entities as ResolvedEntity[]) set.entities.add(entityKey(e));
      for (const term of (item.terms as string[] | undefined) ?? []) set.entities.add(entityKey({ type: TERM_TYPE, key: term }));
      set.items.push({ pk: item.pk as string, sk: item.sk as string });
      sets.set(id, set);
    }
  }
  return sets;
}

/** A fenced write that fails because a newer version got there first. */
async function fenced(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) throw new SupersededError('a newer version of the document is being written');
    throw e;
  }
}

const union = <T>(...lists: readonly (readonly T[])[]) => [...new Set(lists.flat())];
