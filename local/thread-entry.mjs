// Worker threads do not inherit tsx's module hooks: register them, then load the
// TypeScript entry named by the parent (see batch-environments.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
