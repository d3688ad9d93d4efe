/**
 * `npm start`: the local stack. Everything binds to 127.0.0.1; Ctrl-C stops it within
 * seconds (a batch environment stuck on a document is terminated after a grace period;
 * a second Ctrl-C exits at once), and nothing it was given is lost: what was still
 * queued is found again at the next start (reconcile.ts).
 *
 * - HTTP API (PORT, default 3000): the try-it page, POST /v1/entities, GET /v1/documents/{id};
 * - the batch path: dynalite (the index, kept in .nerve/data), fauxqs (SQS in memory; S3,
 *   kept in .nerve/bucket), the S3 event proxy, the batch function's execution
 *   environments, and the inbox/ watcher.
 * `.nerve/local.json` tells `nerve ingest` where the local bucket and index are, and
 * `nerve search` where the API is; it is written once the server listens.
 */
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { startBatchStack } from './batch-stack.js';
import { localDir, localS3Config, writeLocalConfig, type LocalConfig } from './config.js';
import { watchInbox } from './inbox.js';
import { createLocalServer, type Route } from './server.js';

// Local defaults: quiet logs, metrics to nowhere (Powertools would print EMF to stdout).
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(2);
}
const root = localDir();
let stopping = false;
const withBatch = process.env.NERVE_LOCAL_BATCH !== 'false';

const online = await import('../lambdas/online/handler.js');
const routes: Route[] = [{ method: 'POST', path: '/v1/entities', handler: (e) => online.handler(e) }];
let stopBatch = async (_options: { graceMs: number }) => {};
let localConfig: LocalConfig | undefined;
let stopInbox = () => {};
if (withBatch) {
  const batch = await startBatchStack({ dataDir: join(root, 'data'), bucketDir: join(root, 'bucket'), wordsDir: join(root, 'words') });
  batch.reconciled?.then(
    (r) => {
      if (r.created + r.removed + r.leases > 0) console.log(`reconciled the index with the bucket: ${r.created} files to index, ${r.removed} to remove, ${r.leases} stale leases cleared`);
    },
    (e: Error) => {
      if (!stopping) console.error(`could not reconcile the index with the bucket: ${e.message}`);
    },
  );
  const documents = await import('../lambdas/documents/handler.js');
  routes.push({ method: 'GET', path: '/v1/documents/{documentId}', handler: (e) => documents.handler(e) });
  const searchRoute = await import('../lambdas/search/handler.js');
  routes.push({ method: 'POST', path: '/v1/search', handler: (e) => searchRoute.handler(e) });
  const uploader = new S3Client(localS3Config(batch.config.s3Endpoint));
  stopInbox = watchInbox(process.env.NERVE_INBOX ?? join(process.cwd(), 'inbox'), uploader, batch.config.bucket, batch.config.prefix);
  stopBatch = (options) => batch.stop(options);
  localConfig = batch.config; // written with the API's URL once the server listens
  console.log(`batch path: drop files into inbox/ or run \`npx nerve ingest PATH\` (bucket ${batch.config.bucket}, S3 endpoint ${batch.config.s3Endpoint})`);
}

const server = createLocalServer(routes);
server.on('error', (e: NodeJS.ErrnoException) => {
  console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use; set PORT to another one` : e.message);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address() as { port: number };
  if (localConfig) writeLocalConfig({ ...localConfig, apiUrl: `http://127.0.0.1:${bound}` }, root);
  console.log(`Nerve local stack on http://127.0.0.1:${bound}  (try-it page at /, API at /v1/...; Ctrl-C stops)`);
});

/** A batch environment gets this long to finish its batch; the whole stop, at most STOP_DEADLINE_MS. */
const GRACE_MS = 3_000;
const STOP_DEADLINE_MS = 8_000;
function stop(signal: string) {
  if (stopping) {
    console.error(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping (${signal} again exits at once)`);
  setTimeout(() => {
    console.error(`the stack did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting`);
    process.exit(1);
  }, STOP_DEADLINE_MS);
  stopInbox();
  server.close();
  server.closeAllConnections();
  stopBatch({ graceMs: GRACE_MS }).then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`stopping: ${e.message}`);
      process.exit(1);
    },
  );
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
