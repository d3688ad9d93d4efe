import { join } from 'node:path';
import { repoRoot } from '../../tools/paths.js';

export { repoRoot };
export const fixtures = join(repoRoot, 'test', 'fixtures');
export const tinyConll = join(fixtures, 'tiny-conll');
export const smallModel = join(repoRoot, 'models', 'small');
