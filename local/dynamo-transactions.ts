/**
 * TransactWriteItems for dynalite, which has none. The index counts a posting in its
 * entity's document frequency in the same transaction that writes or deletes the posting
 * (lambdas/index/PROTOCOL.md), so the local stack's DynamoDB must give what DynamoDB's
 * transactions give:
 * - all or nothing: every action's condition is checked before any action is applied; one
 *   that fails cancels the whole with a TransactionCanceledException that gives a reason
 *   per action, in order, as DynamoDB's does;
 * - isolation from other writers: dynalite's writes (PutItem, UpdateItem, DeleteItem,
 *   BatchWriteItem) and transactions take one lock in turn. Reads do not: a Query or a
 *   BatchGetItem may see part of a transaction, as DynamoDB's may (they are serializable
 *   item by item, not as a whole);
 * - durability: the items' old images are journaled in dynalite's own store before the
 *   first action is applied and dropped after the last; a journal that a crash left is
 *   rolled back when the store opens again, so no transaction is ever half there.
 * Conditions and updates mean exactly what dynalite's single-item writes mean: each action
 * is validated by the validations of its single-item operation, its condition checked by
 * dynalite's, and it is applied by that operation.
 * - idempotency: a request repeated with its ClientRequestToken (the SDK sends one, and keeps
 *   it across its retries) within 10 minutes of its success changes nothing again and
 *   succeeds; the same token with other actions is an IdempotentParameterMismatchException.
 *   The tokens are kept in memory: a restart forgets them.
 * Not given: ReturnConsumedCapacity and ReturnItemCollectionMetrics figures.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
type Callback = (err: unknown, data?: unknown) => void;
type Data = Record<string, any>;
type Store = { getTable(name: string, cb: Callback): void; getItemDb(name: string): ItemDb };
type ItemDb = { get(key: string, cb: Callback): void; put(key: string, value: unknown, cb: Callback): void; del(key: string, cb: Callback): void; createValueStream(): AsyncIterable<unknown> & NodeJS.ReadableStream };
type Operation = (store: Store, data: Data, cb: Callback) => void;
type Table = { TableName: string; KeySchema: Array<{ AttributeName: string }> };

const OPERATIONS = { Put: 'putItem', Update: 'updateItem', Delete: 'deleteItem', ConditionCheck: 'deleteItem' } as const;
type Kind = keyof typeof OPERATIONS;
const MAX_ACTIONS = 100;
const JOURNAL = '__nerve-transaction-journal';
const TARGET = 'DynamoDB_20120810.TransactWriteItems';

if (require.cache[require.resolve('dynalite')]) throw new Error('dynalite was loaded before its writes could be serialized with transactions: import it from local/dynamo-transactions.ts');
const db = require('dynalite/db') as { create(options: unknown): Store; createKey(item: Data, table: Table): string; validateKey(key: Data, table: Table): unknown; checkConditional(data: Data, old: Data | undefined): unknown };
const validations = require('dynalite/validations') as { checkTypes(data: Data, types: unknown): Data; checkValidations(data: Data, types: unknown, custom: unknown, store: Store): void };

// The writes, serialized: load each operation as dynalite wrote it (batchWriteItem keeps
// the originals of putItem and deleteItem it requires now), then let dynalite's dispatch
// find the serialized ones where it looks them up.
let queue: Promise<unknown> = Promise.resolve();
function exclusively<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work);
  queue = run.catch(() => undefined);
  return run;
}
const original: Record<string, Operation> = {};
for (const name of ['putItem', 'deleteItem', 'updateItem', 'batchWriteItem']) original[name] = require(`dynalite/actions/${name}`) as Operation;
for (const name of Object.keys(original)) {
  const serialized: Operation = (store, data, cb) => void exclusively(() => new Promise<void>((done) => original[name]!(store, data, (err, out) => (done(), cb(err, out)))));
  require.cache[require.resolve(`dynalite/actions/${name}`)]!.exports = serialized;
}
// dynalite's server keeps its store to itself: take it as it is made.
let created: Store | undefined;
const create = db.create;
db.create = (options) => (created = create(options));
const dynalite = require('dynalite') as (options: { path?: string; createTableMs?: number }) => Server;

const apply = (name: string, store: Store, data: Data) => promisify<Store, Data, unknown>(original[name]!)(store, data);

/** An error in the shape dynalite sends (and the SDK reads). */
class ServiceError extends Error {
  readonly statusCode = 400;
  constructor(readonly body: Data) {
    super(body.message);
  }
}
const validation = (message: string) => new ServiceError({ __type: 'com.amazon.coral.validate#ValidationException', message });

interface Action {
  readonly kind: Kind;
  readonly data: Data;
  readonly returnOld: boolean;
  readonly table: Table;
  readonly key: string;
  /** The item's key attributes, to delete it on a rollback. */
  readonly keyAttributes: Data;
}

interface JournalEntry {
  readonly id: string;
  readonly items: Array<{ table: string; keyAttributes: Data; old: Data | null }>;
}

/** dynalite, serving TransactWriteItems too; the transactions a crash left half-applied are rolled back first. */
export async function dynaliteWithTransactions(options: { path?: string; createTableMs?: number }): Promise<{ server: Server; rolledBack: number }> {
  const server = dynalite(options);
  const store = created!;
  const rolledBack = await rollBackJournal(store);
  const [dispatch] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-amz-target'] !== TARGET) return dispatch!(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      transact(store, Buffer.concat(chunks).toString('utf8')).then(
        () => send(res, 200, {}),
        (e) => (e instanceof ServiceError ? send(res, e.statusCode, e.body) : send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(e) })),
      );
    });
  });
  return { server, rolledBack };
}

function send(res: ServerResponse, status: number, body: Data): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': crypto.randomUUID() });
  res.end(text);
}

async function transact(store: Store, body: string): Promise<void> {
  let request: Data;
  try {
    request = JSON.parse(body) as Data;
  } catch {
    throw new ServiceError({ __type: 'com.amazon.coral.service#SerializationException' });
  }
  const items = request.TransactItems as Data[] | undefined;
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_ACTIONS) throw validation(`1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and ${MAX_ACTIONS}`);
  const token = request.ClientRequestToken as string | undefined;
  const fingerprint = createHash('sha256').update(JSON.stringify(items)).digest('base64'); // kept 10 minutes: the digest, not the request
  const prepared = items.map((item) => prepare(store, item));
  await exclusively(async () => {
    if (token !== undefined && succeeded(token, fingerprint)) return;
    const actions = await Promise.all(prepared.map(async ({ kind, data, returnOld }) => {
      const table = (await promisify(store.getTable)(data.TableName)) as Table;
      const keyOf = kind === 'Put' ? data.Item : data.Key;
      const invalid = kind === 'Put' ? undefined : db.validateKey(data.Key, table);
      if (invalid) throw invalid;
      const keyAttributes = Object.fromEntries(table.KeySchema.map((k) => [k.AttributeName, keyOf[k.AttributeName]]));
      return { kind, data, returnOld, table, key: db.createKey(keyOf, table), keyAttributes } satisfies Action;
    }));
    const seen = new Set(actions.map((a) => `${a.table.TableName} ${a.key}`));
    if (seen.size < actions.length) throw validation('Transaction request cannot include multiple operations on one item');
    const olds = await Promise.all(actions.map((a) => oldImage(store, a)));
    const reasons = actions.map((a, i) => (db.checkConditional(a.data, olds[i]) ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(a.returnOld && olds[i] ? { Item: olds[i] } : {}) } : { Code: 'None' }));
    if (reasons.some((r) => r.Code !== 'None')) {
      throw new ServiceError({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException', message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, CancellationReasons: reasons });
    }
    const writes = actions.map((a, i) => ({ a, old: olds[i] })).filter(({ a }) => a.kind !== 'ConditionCheck');
    const entry: JournalEntry = { id: crypto.randomUUID(), items: writes.map(({ a, old }) => ({ table: a.table.TableName, keyAttributes: a.keyAttributes, old: old ?? null })) };
    const journal = store.getItemDb(JOURNAL);
    await promisify(journal.put.bind(journal))(entry.id, entry);
    try {
      // Distinct items, and no other writer runs: the order of their writes does not matter.
      await Promise.all(writes.map(({ a }) => apply(OPERATIONS[a.kind], store, a.data)));
    } catch (e) {
      await rollBack(store, entry); // an action dynalite refused (an item over 400 KB): none of them stays
      throw e;
    }
    await promisify(journal.del.bind(journal))(entry.id);
    if (token !== undefined) tokens.set(token, { fingerprint, at: Date.now() });
  });
}

const IDEMPOTENCY_MS = 10 * 60_000;
const tokens = new Map<string, { fingerprint: string; at: number }>();

/** Whether a transaction with this token succeeded in the last 10 minutes (the same one, or the caller is told it is not). */
function succeeded(token: string, fingerprint: string): boolean {
  const now = Date.now();
  for (const [t, { at }] of tokens) if (now - at > IDEMPOTENCY_MS) tokens.delete(t);
  const earlier = tokens.get(token);
  if (!earlier) return false;
  if (earlier.fingerprint !== fingerprint) throw new ServiceError({ __type: 'com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException', message: 'The request uses the same client token as a previous, but non-identical request.' });
  return true;
}

/** Validates an action as its single-item operation would be (which also parses its expressions). */
function prepare(store: Store, item: Data): { kind: Kind; data: Data; returnOld: boolean } {
  const kinds = (Object.keys(OPERATIONS) as Kind[]).filter((k) => item?.[k] !== undefined);
  if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
  const kind = kinds[0]!;
  const rules = require(`dynalite/validations/${OPERATIONS[kind]}`) as { types: unknown; custom: unknown };
  const data = validations.checkTypes({ ...item[kind] }, rules.types);
  validations.checkValidations(data, rules.types, rules.custom, store);
  // Transactions' own field, unknown to the single-item validations (which drop it).
  return { kind, data, returnOld: item[kind].ReturnValuesOnConditionCheckFailure === 'ALL_OLD' };
}

async function oldImage(store: Store, action: Action): Promise<Data | undefined> {
  try {
    const items = store.getItemDb(action.table.TableName);
    return (await promisify(items.get.bind(items))(action.key)) as Data;
  } catch (e) {
    if ((e as Error).name === 'NotFoundError') return undefined;
    throw e;
  }
}

async function rollBack(store: Store, entry: JournalEntry): Promise<void> {
  for (const { table, keyAttributes, old } of entry.items) {
    if (old) await apply('putItem', store, { TableName: table, Item: old });
    else await apply('deleteItem', store, { TableName: table, Key: keyAttributes });
  }
  const journal = store.getItemDb(JOURNAL);
  await promisify(journal.del.bind(journal))(entry.id);
}

async function rollBackJournal(store: Store): Promise<number> {
  const entries: JournalEntry[] = [];
  for await (const value of store.getItemDb(JOURNAL).createValueStream()) entries.push(value as unknown as JournalEntry);
  for (const entry of entries) await rollBack(store, entry);
  return entries.length;
}
