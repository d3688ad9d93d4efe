/**
 * Documents written straight into the index through the write protocol (writeVersion),
 * with the entities a test chooses instead of the model's, and the terms the batch path
 * would store (documentTerms), and its words where the context has a word index: for
 * search tests that need a given shape of index.
 */
import type { BatchContext } from '../../lambdas/batch/process.js';
import { normalizeName } from '../../lambdas/index/normalize.js';
import { documentTerms } from '../../lambdas/index/terms.js';
import { writeVersion } from '../../lambdas/index/writes.js';
import { BUCKET } from './batch.js';

/** Indexes `text` as document `id` with `names` ([type, surface form], each at its first occurrence in the text). */
export async function writeCrafted(ctx: BatchContext, id: string, text: string, names: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const entities = names.map(([type, name]) => {
    const start = text.indexOf(name);
    if (start < 0) throw new Error(`${name} is not in the text of ${id}`);
    return { type, name, key: normalizeName(name), aliases: [], mentions: [{ text: name, type, start, end: start + name.length, score: 0.9 }] };
  });
  await writeVersion(ctx.store, { documentId: id, bucket: BUCKET, key: `incoming/${id}.txt`, sequencer: '01' }, {
    status: 'indexed',
    model: ctx.model.model,
    title: text.slice(0, 60),
    snippet: text,
    chars: text.length,
    entities,
    terms: documentTerms(text, 0),
    text,
    titleChars: 0,
  });
}
