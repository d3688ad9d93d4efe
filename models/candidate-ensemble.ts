/**
 * A candidate ensemble folder for the selections and ablations (select-ensemble.ts,
 * mixed-ablation.ts): `members` wherever their folders lie, with weights, and everything
 * else (combination, labels, document post-processing) from the shipped ensemble's manifest.
 * A candidate pins no member's version (the shipped manifest's pins name its own members):
 * it is measured with its members as they are.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENSEMBLE_FORMAT, type EnsembleManifest } from '../lambdas/engine/ensemble.js';

type Member = Omit<EnsembleManifest['members'][number], 'path'> & { readonly dir: string };

export function writeCandidateEnsemble(dir: string, base: EnsembleManifest, identity: { name: string; version: string }, members: readonly Member[]): string {
  mkdirSync(dir);
  const manifest = { ...base, ...identity, format: ENSEMBLE_FORMAT, members: members.map(({ dir: at, ...member }) => ({ ...member, version: undefined, path: relative(dir, at) })) };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
