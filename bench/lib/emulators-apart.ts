/**
 * The local stack's emulators over a kept index, in a process of their own. On AWS the
 * search Lambda's DynamoDB and OpenSearch run on other machines: measured in one process,
 * the handler would wait on the emulators' work and garbage collection as if they were
 * its own. Here they share the machine's cores with the handler, not its event loop.
 *
 * Run as a script, this file is that process: it opens the index folder as `npm start`
 * does (`data/` for dynalite, `words/` for the word engine), prints its endpoints as one
 * JSON line, and stops when its standard input closes (so it never outlives its parent).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmulators } from '../../local/emulators.js';

export interface ApartEmulators {
  readonly dynamoEndpoint: string;
  readonly wordsEndpoint: string;
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

export async function startEmulatorsApart(indexDir: string): Promise<ApartEmulators> {
  const child = spawn(process.execPath, ['--import', 'tsx', self, indexDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the emulators over ${indexDir} exited with ${code} before they listened`)));
  });
  const endpoints = JSON.parse(line) as { dynamoEndpoint: string; wordsEndpoint: string };
  return {
    ...endpoints,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

if (process.argv[1] === self) {
  const dir = process.argv[2]!;
  const emulators = await startEmulators({ dataDir: join(dir, 'data'), wordsDir: join(dir, 'words') });
  console.log(JSON.stringify({ dynamoEndpoint: emulators.dynamoEndpoint, wordsEndpoint: emulators.wordsEndpoint }));
  process.stdin.on('end', () => void emulators.stop().then(() => process.exit(0)));
  process.stdin.resume();
}
