/** Where things are, for the tools and the scripts, tests and benchmarks that use them. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The datasets (conll2003/, reuters21578/, …) when `--data` names no other folder: beside the repository, never in it (docs/datasets.md says where to get them). */
export const defaultDataDir = join(repoRoot, '..', 'shared', 'data');
/** Recorded figures, one JSON file per benchmark or evaluation. */
export const resultsDir = join(repoRoot, 'bench', 'results');
/** What the benchmarks generate and keep between runs (git-ignored): the Reuters files, the local stack's index. */
export const benchDataDir = join(repoRoot, 'bench', 'data');
