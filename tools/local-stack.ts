/**
 * `npm start`'s local stack in a child process, as tests and benchmarks run it: on a free
 * port, with its own data folder and inbox unless `env` names them.
 */
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

export interface StartOptions {
  /**
   * Where the stack's standard error goes: `pipe` keeps it for the error raised when the
   * stack does not start; `inherit` shows it as it comes (a long benchmark). @default 'pipe'
   */
  readonly stderr?: 'pipe' | 'inherit';
}

/** Starts local/main.ts on a free port (PORT=0) and resolves once it has printed its URL. */
export async function startLocalStack(env: Record<string, string>, { stderr = 'pipe' }: StartOptions = {}): Promise<RunningStack> {
  // Its own data folder and inbox, so that it never touches the repository's .nerve/ or inbox/.
  const scratch = mkdtempSync(join(tmpdir(), 'nerve-stack-'));
  env = { NERVE_LOCAL_DIR: join(scratch, '.nerve'), NERVE_INBOX: join(scratch, 'inbox'), ...env };
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'local', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', stderr],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack did not start:\n${output}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      collect(chunk);
      const m = /local stack on (http:\/\/127\.0\.0\.1:\d+)/.exec(output); // local/main.ts's line once it listens
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr?.on('data', collect);
    child.on('exit', (code) => reject(new Error(`local stack exited with ${code}:\n${output}`)));
  });
  // Started: its logs are drained from here on, not kept.
  child.stdout!.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
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
