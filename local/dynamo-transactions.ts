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
 * - durability: each action is applied by its single-item operation against a staging
 *   view of the store that records the writes (items and their index entries) instead of
 *   making them; then all of them go to LevelDB in one write batch, which LevelDB applies
 *   whole or not at all, a crash included. No transaction is ever half there, and there
 *   is nothing to roll back.
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
import { batchGetsAtOnce, cacheParsedExpressions, cacheTableDescriptions, nativeResponseChecksums, tuneLevelDb } from './dynalite-tuning.js';

const require = createRequire(import.meta.url);
type Callback = (err: unknown, data?: unknown) => void;
type Data = Record<string, any>;
type Store = {
  getTable(name: string, cb: Callback): void;
  getItemDb(name: string): SubDb;
  getIndexDb(indexType: string, tableName: string, indexName: string): SubDb;
  db: { batch(operations: BatchOperation[], cb: Callback): void };
};
type SubDb = { get(key: string, cb: Callback): void; put(key: string, value: unknown, cb: Callback): void; del(key: string, cb: Callback): void; lock(key: string, work: (release: (cb: Callback) => Callback) => void): void };
type BatchOperation = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };
type Operation = (store: Store, data: Data, cb: Callback) => void;
type Table = { TableName: string; KeySchema: Array<{ AttributeName: string }> };

const OPERATIONS = { Put: 'putItem', Update: 'updateItem', Delete: 'deleteItem', ConditionCheck: 'deleteItem' } as const;
type Kind = keyof typeof OPERATIONS;
const MAX_ACTIONS = 100;
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
cacheParsedExpressions();
nativeResponseChecksums();
tuneLevelDb();
batchGetsAtOnce();
const dynalite = require('dynalite') as (options: { path?: string; createTableMs?: number }) => Server;

const applying = Object.fromEntries(Object.entries(original).map(([name, op]) => [name, promisify<Store, Data, unknown>(op)]));
const apply = (name: string, store: Store, data: Data) => applying[name]!(store, data);

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
}

/** dynalite, serving TransactWriteItems too. */
export function dynaliteWithTransactions(options: { path?: string; createTableMs?: number }): Server {
  const server = dynalite(options);
  const store = created!;
  cacheTableDescriptions(store as unknown as Parameters<typeof cacheTableDescriptions>[0]);
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
  return server;
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
  const fingerprint = createHash('sha256').update(body).digest('base64'); // of the request as sent; kept 10 minutes: the digest, not the request
  const prepared = items.map((item) => prepare(store, item));
  await exclusively(async () => {
    if (token !== undefined && succeeded(token, fingerprint)) return;
    const actions = await Promise.all(prepared.map(async ({ kind, data, returnOld }) => {
      const table = (await tableOf(store, data.TableName)) as Table;
      const keyOf = kind === 'Put' ? data.Item : data.Key;
      const invalid = kind === 'Put' ? undefined : db.validateKey(data.Key, table);
      if (invalid) throw invalid;
      return { kind, data, returnOld, table, key: db.createKey(keyOf, table) } satisfies Action;
    }));
    const seen = new Set(actions.map((a) => `${a.table.TableName} ${a.key}`));
    if (seen.size < actions.length) throw validation('Transaction request cannot include multiple operations on one item');
    const olds = await Promise.all(actions.map((a) => oldImage(store, a)));
    const reasons = actions.map((a, i) => (db.checkConditional(a.data, olds[i]) ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(a.returnOld && olds[i] ? { Item: olds[i] } : {}) } : { Code: 'None' }));
    if (reasons.some((r) => r.Code !== 'None')) {
      throw new ServiceError({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException', message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, CancellationReasons: reasons });
    }
    // Each write staged by its own operation (which also refuses an item over 400 KB: then
    // nothing is written), then all of them in one batch.
    const staged = staging(store, new Map(actions.map((a, i) => [itemDbPrefix(a.table.TableName) + a.key, olds[i]])));
    for (const a of actions) if (a.kind !== 'ConditionCheck') await apply(OPERATIONS[a.kind], staged.store, a.data);
    await promisify(store.db.batch.bind(store.db))(staged.operations);
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

const tableOf = (store: Store, name: string) => new Promise<unknown>((resolve, reject) => store.getTable(name, (err, table) => (err ? reject(err) : resolve(table))));

async function oldImage(store: Store, action: Action): Promise<Data | undefined> {
  try {
    const items = store.getItemDb(action.table.TableName);
    return await new Promise<Data>((resolve, reject) => items.get(action.key, (err, item) => (err ? reject(err) : resolve(item as Data))));
  } catch (e) {
    if ((e as Error).name === 'NotFoundError') return undefined;
    throw e;
  }
}

// dynalite keeps every sub-database in its one LevelDB under a prefix of the key
// (db/index.js getSubDb): an item database is `item-<table>~`, an index database
// `index-<local|global>~<table>~<index>~`. Writes staged under those keys land where
// dynalite's own writes do (the transaction tests read them back with GetItem and Query).
const itemDbPrefix = (table: string) => `item-${table}~`;
const indexDbPrefix = (indexType: string, table: string, index: string) => `index-${indexType.toLowerCase()}~${table}~${index}~`;

/**
 * The store as a transaction's operations see it: reads of the items it writes answer from
 * the images read for its conditions (or from its own earlier writes), writes are
 * recorded as batch operations, and locks are free (the transaction holds the only one).
 */
function staging(store: Store, images: Map<string, Data | undefined>): { store: Store; operations: BatchOperation[] } {
  const operations: BatchOperation[] = [];
  const view = (prefix: string, real: SubDb): SubDb => ({
    get: (key, cb) => {
      if (!images.has(prefix + key)) return real.get(key, cb);
      const item = images.get(prefix + key);
      if (item === undefined) return void setImmediate(cb, Object.assign(new Error('NotFound'), { name: 'NotFoundError' }));
      setImmediate(cb, null, item);
    },
    put: (key, value, cb) => {
      operations.push({ type: 'put', key: prefix + key, value });
      images.set(prefix + key, value as Data);
      setImmediate(cb, null);
    },
    del: (key, cb) => {
      operations.push({ type: 'del', key: prefix + key });
      images.set(prefix + key, undefined);
      setImmediate(cb, null);
    },
    lock: (_key, work) => work((cb) => cb),
  });
  const staged = Object.create(store) as Store;
  staged.getItemDb = (table) => view(itemDbPrefix(table), store.getItemDb(table));
  staged.getIndexDb = (indexType, table, index) => view(indexDbPrefix(indexType, table, index), store.getIndexDb(indexType, table, index));
  return { store: staged, operations };
}
