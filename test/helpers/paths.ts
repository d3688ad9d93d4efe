import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtures = join(repoRoot, 'test', 'fixtures');
export const tinyConll = join(fixtures, 'tiny-conll');
export const smallModel = join(repoRoot, 'models', 'small');
