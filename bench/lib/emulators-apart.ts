/**
 * The local stack's emulators over a kept index, each in a process of its own. On AWS the
 * search Lambda's DynamoDB and OpenSearch run on other machines: measured in one process,
 * the handler would wait on the emulators' work and garbage collection as if they were
 * its own, and with both emulators in one process a DynamoDB read would wait for a word
 * search to finish. Here they share the machine's cores with the handler, not an event loop.
 *
 * Run as a script, this file is one of those processes (`dynamo DIR` or `words DIR`): it
 * opens its part of the index folder as `npm start` does (`data/` for dynalite, `words/`
 * for the word engine), prints its endpoint as one JSON line, and stops when its standard
 * input closes (so it never outlives its parent).
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dynaliteWithTransactions } from '../../local/dynamo-transactions.js';
import { startWordSearch } from '../../local/word-search.js';

export interface ApartEmulators {
  readonly dynamoEndpoint: string;
  readonly wordsEndpoint: string;
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);
type Role = 'dynamo' | 'words';

async function startApart(role: Role, indexDir: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', self, role, indexDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the ${role} emulator over ${indexDir} exited with ${code} before it listened`)));
  });
  return {
    endpoint: (JSON.parse(line) as { endpoint: string }).endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

export async function startEmulatorsApart(indexDir: string): Promise<ApartEmulators> {
  const [dynamo, words] = await Promise.all([startApart('dynamo', indexDir), startApart('words', indexDir)]);
  return {
    dynamoEndpoint: dynamo.endpoint,
    wordsEndpoint: words.endpoint,
    stop: async () => {
      await Promise.all([dynamo.stop(), words.stop()]);
    },
  };
}

if (process.argv[1] === self) {
  const [role, dir] = process.argv.slice(2) as [Role, string];
  let endpoint: string;
  let stop: () => Promise<void>;
  if (role === 'dynamo') {
    const server = dynaliteWithTransactions({ path: join(dir, 'data'), createTableMs: 0 });
    await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', () => resolve()).on('error', reject));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  } else {
    const words = await startWordSearch({ dir: join(dir, 'words') });
    endpoint = words.endpoint;
    stop = () => words.stop();
  }
  console.log(JSON.stringify({ endpoint }));
  process.stdin.on('end', () => void stop().then(() => process.exit(0)));
  process.stdin.resume();
}
