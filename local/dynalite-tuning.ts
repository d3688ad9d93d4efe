/**
 * dynalite, made fast enough for the local stack's batch path without changing what any
 * request means. Profiled under bench:batch, the local stack's main thread spent most of
 * its time in three places that have nothing to do with the index's data:
 * - table descriptions, read from LevelDB by every operation (each action of a
 *   transaction, each key of a BatchGetItem): kept in memory (`cacheTableDescriptions`);
 * - expressions, parsed by dynalite's PEG parsers on every request, though the batch path
 *   sends the same few (with new values) thousands of times a minute: kept parsed
 *   (`cacheParsedExpressions`);
 * - LevelDB's defaults (a 4 MB write buffer, an 8 MB block cache), made for small
 *   embedded stores: a batch of stories writes tens of megabytes a minute, so the buffer
 *   and cache are larger (`LEVELDB_OPTIONS`), which means fewer, larger compactions.
 * - the x-amz-crc32 checksum of every response body, computed a byte at a time in
 *   JavaScript (buffer-crc32): Node's native zlib.crc32, the same checksum, where Node has it
 *   (`nativeResponseChecksums`).
 * - BatchGetItem, one LevelDB get (each after a table lookup and a turn of the event loop)
 *   a key: a search reads a hundred keys or more in its BatchGets (bench:search), the
 *   search path's largest cost in the emulator; read in one getMany a table
 *   (`batchGetsAtOnce`).
 * Installed by local/dynamo-transactions.ts, the one place that loads dynalite.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);
type Callback = (err: unknown, data?: unknown) => void;
type TableDb = { put(key: string, value: unknown, cb?: Callback): unknown; del(key: string, cb?: Callback): unknown };
type Store = { getTable(name: string, checkStatus: boolean | Callback, cb?: Callback): void; tableDb: TableDb };

/**
 * Descriptions change only through the table sub-database's put and del (CreateTable,
 * UpdateTable, DeleteTable), so each is kept from one read to the next write of it. Only
 * settled (ACTIVE) tables are kept: a table being created or deleted is read as dynalite
 * reads it.
 */
export function cacheTableDescriptions(store: Store): void {
  const described = new Map<string, { TableStatus: string }>();
  const read = store.getTable.bind(store);
  store.getTable = (name, checkStatus, cb) => {
    const callback = (typeof checkStatus === 'function' ? checkStatus : cb)!;
    const known = described.get(name);
    if (known) return void setImmediate(callback, null, known);
    read(name, typeof checkStatus === 'function' ? false : checkStatus, (err, table) => {
      if (!err && (table as { TableStatus: string }).TableStatus === 'ACTIVE') described.set(name, table as { TableStatus: string });
      callback(err, table);
    });
  };
  for (const write of ['put', 'del'] as const) {
    const original = store.tableDb[write].bind(store.tableDb) as (...args: unknown[]) => unknown;
    store.tableDb[write] = ((key: string, ...rest: unknown[]) => {
      described.delete(key);
      return original(key, ...rest);
    }) as never;
  }
}

type AttributeValue = Record<string, unknown>;
type Context = { attrNames?: object; attrVals?: Record<string, AttributeValue>; unusedAttrNames?: Record<string, boolean>; unusedAttrVals?: Record<string, boolean>; isKeyCondition?: boolean };
type Parser = { parse(text: string, options: { context: Context }): unknown };

const KEPT = 10_000;
const PARSERS = ['conditionParser', 'updateParser', 'projectionParser'];
/** Where a parse reads a value's contents and not only its type: these are parsed every time. */
const READS_CONTENTS = /\bbetween\b|\battribute_type\b/i;
/** Stands, in a kept tree, for the request's value of that name (`:v`). */
const VALUE = Symbol('expression attribute value');

/**
 * A parse is a function of the expression, the request's attribute names and its values'
 * types (dynalite's parsers check types; only BETWEEN and attribute_type read a value
 * itself, and those are never kept). The tree holds the request's value objects
 * themselves, so a kept tree has a placeholder in their place, and each hit builds a new
 * tree with that request's values: the batch path sends one expression with new values
 * on every request. What a parse also does, marking the names and values the expression
 * uses so that dynalite can refuse unused ones, is redone on every hit from the
 * expression's own `#name` and `:value` tokens (the only places they can occur). An
 * expression that does not parse is not kept: its error comes from the parser each time.
 */
export function cacheParsedExpressions(): void {
  for (const name of PARSERS) {
    const parser = require(`dynalite/db/${name}`) as Parser;
    const parse = parser.parse.bind(parser);
    const kept = new Map<string, unknown>();
    parser.parse = (text, options) => {
      const context = options.context;
      if (READS_CONTENTS.test(text)) return parse(text, options);
      const values = context.attrVals ?? {};
      const types = Object.fromEntries(Object.entries(values).map(([ref, value]) => [ref, Object.keys(value).sort().join()]));
      const key = JSON.stringify([text, context.attrNames ?? null, types, context.isKeyCondition === true]);
      const known = kept.get(key);
      if (known === undefined) {
        const tree = parse(text, options);
        if (kept.size >= KEPT) kept.clear();
        kept.set(key, template(tree, new Map(Object.entries(values).map(([ref, value]) => [value, ref]))));
        return tree;
      }
      for (const used of text.match(/#[0-9A-Za-z_]+/g) ?? []) delete context.unusedAttrNames?.[used];
      for (const used of text.match(/:[0-9A-Za-z_]+/g) ?? []) delete context.unusedAttrVals?.[used];
      return build(known, values);
    };
  }
}

/** A copy of a parsed tree with a placeholder for each of the request's value objects it holds. */
function template(node: unknown, refs: Map<unknown, string>): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const ref = refs.get(node);
  if (ref !== undefined) return { [VALUE]: ref };
  if (Array.isArray(node)) return node.map((n) => template(n, refs));
  return mapObject(node, (n) => template(n, refs));
}

/** A new tree from a template, holding this request's value objects where the placeholders are. */
function build(node: unknown, values: Record<string, AttributeValue>): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (VALUE in node) return values[(node as { [VALUE]: string })[VALUE]];
  if (Array.isArray(node)) return node.map((n) => build(n, values));
  return mapObject(node, (n) => build(n, values));
}

/** An object's own properties mapped, its prototype kept (dynalite's trees hold null-prototype maps). */
function mapObject(node: object, map: (value: unknown) => unknown): object {
  const out = Object.create(Object.getPrototypeOf(node)) as Record<string, unknown>;
  for (const k of Object.keys(node)) out[k] = map((node as Record<string, unknown>)[k]);
  return out;
}

/** LevelDB options for the local index (classic-level passes them to LevelDB's open). */
export const LEVELDB_OPTIONS = { writeBufferSize: 64 * 1024 * 1024, cacheSize: 128 * 1024 * 1024 } as const;

/** Opens every LevelDB store of this process with LEVELDB_OPTIONS (dynalite gives none). */
export function tuneLevelDb(): void {
  const { ClassicLevel } = require('classic-level') as { ClassicLevel: { prototype: { _open(options: object): Promise<void> } } };
  const open = ClassicLevel.prototype._open;
  ClassicLevel.prototype._open = function (options: object) {
    return open.call(this, { ...LEVELDB_OPTIONS, ...options });
  };
}

/** dynalite's response checksums (x-amz-crc32) by zlib.crc32 (Node 20.15 and later): the same CRC-32 of the body's UTF-8, natively. */
export function nativeResponseChecksums(): void {
  const native = (zlib as { crc32?: (data: string | Uint8Array) => number }).crc32;
  if (!native) return;
  const checksum = createRequire(require.resolve('dynalite'))('buffer-crc32') as { unsigned: (data: string | Uint8Array) => number };
  checksum.unsigned = (data) => native(data);
}

type Key = Record<string, unknown>;
type BatchGetStore = Store & {
  readonly db: { getMany(keys: string[]): Promise<unknown[]> };
  getItemDb(name: string): { get(key: string, cb: Callback): void };
};
type BatchGet = (store: BatchGetStore, data: { RequestItems: Record<string, { Keys: Key[] }> }, cb: Callback) => void;

/**
 * dynalite's BatchGetItem, its items read in one getMany a table before it runs: it still
 * validates, projects, applies the 1 MB limit and counts capacity as it did, reading each
 * key's item from what getMany brought. Keys dynalite would refuse, or a table it does not
 * know, leave the request to dynalite alone, so its errors are the ones it always gave.
 */
export function batchGetsAtOnce(): void {
  const path = require.resolve('dynalite/actions/batchGetItem');
  const original = require(path) as BatchGet;
  const db = require('dynalite/db') as { validateKey(key: Key, table: unknown): unknown; createKey(key: Key, table: unknown): string };
  const tableOf = (store: BatchGetStore, name: string) =>
    new Promise<unknown>((resolve, reject) => store.getTable(name, false, (err, table) => (err ? reject(err) : resolve(table))));
  const prefetch = async (store: BatchGetStore, name: string, keys: readonly Key[]): Promise<Map<string, unknown> | undefined> => {
    const table = await tableOf(store, name);
    if (keys.some((k) => db.validateKey(k, table) != null)) return undefined;
    const itemKeys = keys.map((k) => db.createKey(k, table));
    // dynalite keeps a table's items under this prefix of its one LevelDB (db/index.js getItemDb).
    const values = await store.db.getMany(itemKeys.map((k) => `item-${name}~${k}`));
    return new Map(itemKeys.map((k, i) => [k, values[i]]));
  };
  const batchGet: BatchGet = (store, data, cb) => {
    const tables = Object.keys(data.RequestItems);
    Promise.all(tables.map((name) => prefetch(store, name, data.RequestItems[name]!.Keys))).then(
      (fetched) => {
        if (fetched.some((items) => items === undefined)) return original(store, data, cb);
        const items = new Map(tables.map((name, i) => [name, fetched[i]!]));
        const reading = Object.create(store, {
          getItemDb: { value: (name: string) => ({ get: (key: string, done: Callback) => void setImmediate(done, null, items.get(name)?.get(key)) }) },
        }) as BatchGetStore;
        original(reading, data, cb);
      },
      () => original(store, data, cb),
    );
  };
  require.cache[path]!.exports = batchGet;
}
