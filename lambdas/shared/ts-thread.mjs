// A worker thread whose code is TypeScript, in the source tree (the CLI, the local stack,
// tests, the ECS worker): worker threads do not inherit tsx's module hooks, so register
// them, then load the entry the parent named in workerData. A Lambda bundle has no tsx
// and starts its worker from the compiled file instead (engine/parallel.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
