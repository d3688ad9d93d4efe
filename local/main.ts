/**
 * `npm start`: the local stack. Everything binds to 127.0.0.1; Ctrl-C stops it cleanly.
 *
 * - HTTP API (PORT, default 3000): the try-it page, POST /v1/entities, GET /v1/documents/{id};
 * - the batch path: dynalite (persistent in .nerve/data), fauxqs (SQS and S3), the S3
 *   event proxy, the batch function's execution environments, and the inbox/ watcher.
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
const withBatch = process.env.NERVE_LOCAL_BATCH !== 'false';

const online = await import('../lambdas/online/handler.js');
const routes: Route[] = [{ method: 'POST', path: '/v1/entities', handler: (e) => online.handler(e) }];
let stopBatch = async () => {};
let localConfig: LocalConfig | undefined;
let stopInbox = () => {};
if (withBatch) {
  const batch = await startBatchStack({ dataDir: join(root, 'data') });
  const documents = await import('../lambdas/documents/handler.js');
  routes.push({ method: 'GET', path: '/v1/documents/{documentId}', handler: (e) => documents.handler(e) });
  const searchRoute = await import('../lambdas/search/handler.js');
  routes.push({ method: 'POST', path: '/v1/search', handler: (e) => searchRoute.handler(e) });
  const uploader = new S3Client(localS3Config(batch.config.s3Endpoint));
  stopInbox = watchInbox(process.env.NERVE_INBOX ?? join(process.cwd(), 'inbox'), uploader, batch.config.bucket, batch.config.prefix);
  stopBatch = () => batch.stop();
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

let stopping = false;
function stop(signal: string) {
  if (stopping) process.exit(1); // a second Ctrl-C forces it
  stopping = true;
  console.log(`\n${signal}: stopping`);
  stopInbox();
  server.closeAllConnections();
  server.close(() => {
    stopBatch().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
