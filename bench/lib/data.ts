/**
 * Where the benchmarks find the datasets: `--data DIR` on the command line, else
 * ../shared/data beside the repository. They are never copied into the repository.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(benchDir, '..');

export function benchArgs<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(options: T) {
  const { values } = parseArgs({ options: { data: { type: 'string' as const }, ...options }, allowPositionals: false });
  const given = (values as Record<string, unknown>).data as string | undefined;
  const data = resolve(given ?? join(repoRoot, '..', 'shared', 'data'));
  if (!existsSync(data)) {
    console.error(`datasets not found at ${data}: pass --data DIR (the folder holding conll2003/, reuters21578/, …)`);
    process.exit(2);
  }
  return { ...values, data } as { data: string } & { [K in keyof T]: T[K]['default'] extends boolean ? boolean : string };
}

/** Writes a result file under bench/results/ and says where. */
export function writeResult(name: string, result: unknown): string {
  const path = join(benchDir, 'results', `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 1) + '\n');
  console.log(`\nwrote ${path}`);
  return path;
}

export function machine() {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: (globalThis as any).navigator?.hardwareConcurrency ?? null, date: new Date().toISOString() };
}
