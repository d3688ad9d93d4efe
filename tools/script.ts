/**
 * What every measuring or data-making script (bench/, models/) shares: its command line,
 * with `--data DIR` for the datasets (default ../shared/data beside the repository; they
 * are never copied into it; docs/datasets.md says where to get each), the result file it
 * writes, and the machine it ran on.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir, resultsDir } from './paths.js';

type Options = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

/** The script's options, and `data`: the datasets folder, which must exist (else the script exits with 2). */
export function scriptArgs<T extends Options>(options: T) {
  const { values } = parseArgs({ options: { data: { type: 'string' as const }, ...options }, allowPositionals: false });
  const given = (values as Record<string, unknown>).data as string | undefined;
  const data = resolve(given ?? defaultDataDir);
  if (!existsSync(data)) {
    console.error(`datasets not found at ${data}: pass --data DIR (the folder holding conll2003/, reuters21578/, …; docs/datasets.md says where to get them)`);
    process.exit(2);
  }
  return { ...values, data } as { data: string } & { [K in keyof T]: T[K]['default'] extends boolean ? boolean : string };
}

/** Writes bench/results/NAME.json and says where. */
export function writeResult(name: string, result: unknown): string {
  const path = join(resultsDir, `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 1) + '\n');
  console.log(`\nwrote ${path}`);
  return path;
}

/** The machine a result was measured on (`cpus`: what this process may use, as os.availableParallelism() counts). */
export function machine() {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: availableParallelism(), date: new Date().toISOString() };
}
