import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface RunningStack {
  readonly url: string;
  readonly process: ChildProcess;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `npm start`'s entry point on a free port (PORT=0) and waits for its URL. */
export async function startLocalStack(env: Record<string, string>): Promise<RunningStack> {
  // Its own data folder and inbox, so tests never touch the repository's .nerve/ or inbox/.
  const scratch = mkdtempSync(join(tmpdir(), 'nerve-stack-'));
  env = { NERVE_LOCAL_DIR: join(scratch, '.nerve'), NERVE_INBOX: join(scratch, 'inbox'), ...env };
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'local', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /local stack on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => reject(new Error(`local stack exited with ${code}:\n${output}`)));
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGINT');
      }),
  };
}
