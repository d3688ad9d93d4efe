/**
 * A synth writes its cloud assembly (the templates and every asset: with the shipped
 * models, over a gigabyte) to a temporary folder that the CDK never removes. The
 * whole-app tests synthesize through `synthOnce`, and the folders go when the file's tests end.
 */
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { synthNerve } from '../helpers/synth.js';

const folders: string[] = [];

/** The folder is removed after this test file's last test. */
export function removeAfterAll(folder: string): void {
  folders.push(folder);
}

/** synthNerve, its assembly removed after this test file's last test. */
export function synthOnce(context: Record<string, unknown> = {}): ReturnType<typeof synthNerve> {
  const synth = synthNerve(context);
  removeAfterAll(synth.assembly.directory);
  return synth;
}

afterAll(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
