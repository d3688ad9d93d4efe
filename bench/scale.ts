/**
 * npx tsx bench/scale.ts [--index DIR --hours 8 --documents N | --scan true]
 *
 * The key design at 10 and 100 million documents, from the index bench:batch left (all
 * Reuters stories): the hottest entities' and words' items read by key (or, with
 * `--scan true`, every item, for per-document figures), each item's size measured as DynamoDB
 * counts it (attribute names and values, in UTF-8), and the hottest posting partitions,
 * DF# counters and NAME# items are scaled linearly to 10M and 100M documents indexed in
 * an overnight batch of `--hours`. Printed beside DynamoDB's limits: 1,000 write units a
 * second per partition, 10 GB per item collection (partition key) of a table with a local
 * secondary index, whose default projection (ALL) stores each posting twice. docs/scale.md
 * reads these figures.
 */
import { join } from 'node:path';
import { DynamoDBDocumentClient, GetCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import { keys, SHARDS } from '../lambdas/index/schema.js';
import { TERM_TYPE } from '../lambdas/index/terms.js';
import { localConfigPath, readLocalConfig } from '../local/config.js';
import { startEmulators } from '../local/emulators.js';
import { benchDataDir } from '../tools/paths.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';

const args = scriptArgs({
  index: { type: 'string', default: join(benchDataDir, 'index-ensemble') },
  hours: { type: 'string', default: '8' },
  /** Read every item (true), or only the HOT entities' items by key, with --documents the index holds. */
  scan: { type: 'string', default: 'false' },
  documents: { type: 'string', default: '19043' },
});
/** The hottest entities and words of Reuters (the U.S. in a third of the stories). */
const HOT: Array<[string, string]> = [['LOC', 'us'], ['LOC', 'japan'], ['ORG', 'reuters'], [TERM_TYPE, 'us'], [TERM_TYPE, 'company'], [TERM_TYPE, 'shares'], [TERM_TYPE, 'oil']];
const LIMITS = { writeUnitsPerPartitionSecond: 1000, itemCollectionBytes: 10 * 1024 ** 3 };
const SCALES = [10_000_000, 100_000_000];

/** DynamoDB's item size: attribute names and values (strings in UTF-8, numbers about their digits), nested. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(value).length / 2) + 1;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + sizeOf(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + sizeOf(v), 0);
  return 3 + Object.entries(value as object).reduce((n, [k, v]) => n + Buffer.byteLength(k) + 1 + sizeOf(v), 0);
}

const emulators = await startEmulators({ dataDir: join(args.index, 'data') });
const db = DynamoDBDocumentClient.from(emulators.dynamo);
const table = readLocalConfig({ path: localConfigPath(args.index) }).table;

const kinds = new Map<string, { items: number; bytes: number }>();
const partitions = new Map<string, { items: number; bytes: number }>();
const counters: Array<{ pk: string; count: number }> = [];
const names: Array<{ pk: string; readings: number; bytes: number }> = [];
let documents = Number(args.documents);
if (args.scan === 'true') {
  documents = 0;
  for await (const page of paginateScan({ client: db }, { TableName: table })) {
    for (const item of page.Items ?? []) {
      const pk = item.pk as string;
      const bytes = sizeOf(item);
      const kind = pk.startsWith('POST#') ? (pk.startsWith(`POST#${TERM_TYPE}#`) ? 'term posting' : 'entity posting') : pk.startsWith('DF#') ? (pk.startsWith(`DF#${TERM_TYPE}#`) ? 'term DF#' : 'entity DF#') : pk.startsWith('NAME#') ? 'NAME#' : item.sk === 'META' ? 'record' : String(item.sk).startsWith('ENT#') ? 'chunk' : 'other';
      const k = kinds.get(kind) ?? { items: 0, bytes: 0 };
      k.items++;
      k.bytes += bytes;
      kinds.set(kind, k);
      if (kind.endsWith('posting')) {
        const p = partitions.get(pk) ?? { items: 0, bytes: 0 };
        p.items++;
        p.bytes += bytes;
        partitions.set(pk, p);
      }
      if (kind.endsWith('DF#')) counters.push({ pk, count: item.count as number });
      if (kind === 'NAME#') names.push({ pk, readings: (item.readings as Set<string> | undefined)?.size ?? 0, bytes });
      if (kind === 'record' && item.status === 'indexed' && !item.childLines) documents++;
    }
  }
} else {
  // Without a scan (minutes over a full index): the named hot entities' counters, names and shards, read by key.
  for (const [type, key] of HOT) {
    for (const counterKey of keys.frequencies(type, key)) {
      const df = (await db.send(new GetCommand({ TableName: table, Key: counterKey }))).Item;
      if (df) counters.push({ pk: df.pk as string, count: df.count as number });
    }
    const name = (await db.send(new GetCommand({ TableName: table, Key: keys.name(key) }))).Item;
    if (name) names.push({ pk: name.pk as string, readings: (name.readings as Set<string> | undefined)?.size ?? 0, bytes: sizeOf(name) });
    for (let shard = 0; shard < SHARDS; shard++) {
      const pk = keys.postingPartition(type, key, shard);
      for await (const page of paginateQuery({ client: db }, { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } })) {
        const p = partitions.get(pk) ?? { items: 0, bytes: 0 };
        for (const item of page.Items ?? []) {
          p.items++;
          p.bytes += sizeOf(item);
        }
        partitions.set(pk, p);
      }
    }
  }
}
await emulators.stop();

const seconds = Number(args.hours) * 3600;
const top = <T>(xs: T[], by: (x: T) => number, n = 5) => [...xs].sort((a, b) => by(b) - by(a)).slice(0, n);
const perDocument = Object.fromEntries([...kinds].map(([k, v]) => [k, { items: Number((v.items / documents).toFixed(2)), meanBytes: Math.round(v.bytes / v.items) }]));
const hotPartitions = top([...partitions], ([, p]) => p.items).map(([pk, p]) => ({ pk, items: p.items, meanBytes: Math.round(p.bytes / p.items), share: Number((p.items / documents).toFixed(4)) }));
const hotCounters = top(counters, (c) => c.count, 8).map((c) => ({ ...c, share: Number((c.count / documents).toFixed(4)) }));
const projections = SCALES.map((n) => {
  const f = n / documents;
  const docsPerSecond = n / seconds;
  return {
    documents: n,
    documentsPerSecond: Math.round(docsPerSecond),
    hottestPostingPartitions: hotPartitions.map((p) => {
      const items = p.items * f;
      // A transactional write costs two write units per item; the LSI (projection ALL) writes the posting again.
      const writeUnitsPerSecond = (items / seconds) * Math.ceil(p.meanBytes / 1024) * (2 + 1);
      const collectionBytes = items * p.meanBytes * 2;
      return { pk: p.pk, items: Math.round(items), itemCollectionGB: Number((collectionBytes / 1024 ** 3).toFixed(2)), overCollectionLimit: collectionBytes > LIMITS.itemCollectionBytes, writeUnitsPerSecond: Math.round(writeUnitsPerSecond) };
    }),
    hottestCounters: hotCounters.map((c) => {
      const updatesPerSecond = (c.count * f) / seconds;
      return { pk: c.pk, updatesPerSecond: Math.round(updatesPerSecond), writeUnitsPerSecond: Math.round(updatesPerSecond * 2), overPartitionLimit: updatesPerSecond * 2 > LIMITS.writeUnitsPerPartitionSecond };
    }),
  };
});
const result = { benchmark: 'bench:scale', machine: machine(), index: args.index, documents, shards: SHARDS, overnightHours: Number(args.hours), limits: LIMITS, perDocument, hotPartitions, hotCounters, largestNames: top(names, (x) => x.bytes, 3), projections };
console.log(JSON.stringify(result, null, 1));
writeResult('scale', result);
