/**
 * Runs the real `nerve` command (bin/nerve.mjs) in a child process without blocking this
 * one, so that a server in the test (a fake API on 127.0.0.1) can answer it meanwhile.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

export interface NerveRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runNerve(args: string[], { input, env = {}, cwd = repoRoot, timeoutMs = 60_000 }: { input?: string; env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<NerveRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'nerve.mjs'), ...args], { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}
