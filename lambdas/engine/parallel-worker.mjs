// A ParallelModel's thread in the source tree (the CLI, the local stack, tests, the ECS
// worker): worker threads do not inherit tsx's module hooks, so register them and load
// the TypeScript. A Lambda function's bundle has its own parallel-worker.mjs in this
// place, the worker compiled by esbuild (lib/shared.ts), and no tsx.
import { register } from 'tsx/esm/api';

register();
await import('./parallel-worker.ts');
