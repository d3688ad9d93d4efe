/**
 * `npm start`: the local stack. Everything binds to 127.0.0.1; Ctrl-C stops it cleanly.
 */
import { createLocalServer, type Route } from './server.js';

// Local defaults: quiet logs, metrics to nowhere (Powertools would print EMF to stdout).
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(2);
}

const online = await import('../lambdas/online/handler.js');
const routes: Route[] = [{ method: 'POST', path: '/v1/entities', handler: (e) => online.handler(e) }];

const server = createLocalServer(routes);
server.on('error', (e: NodeJS.ErrnoException) => {
  console.error(e.code === 'EADDRINUSE' ? `port ${port} is in use; set PORT to another one` : e.message);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address() as { port: number };
  console.log(`Nerve local stack on http://127.0.0.1:${bound}  (try-it page at /, API at /v1/entities; Ctrl-C stops)`);
});

let stopping = false;
function stop(signal: string) {
  if (stopping) process.exit(1); // a second Ctrl-C forces it
  stopping = true;
  console.log(`\n${signal}: stopping`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
