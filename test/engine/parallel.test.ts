import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConll } from '../../tools/conll.js';
import { ModelInvalidError } from '../../lambdas/shared/errors.js';
import { loadModel } from '../../lambdas/engine/load.js';
import { ParallelModel } from '../../lambdas/engine/parallel.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import { fixtures, tinyConll } from '../helpers/paths.js';

const sentences = parseConll(readFileSync(join(tinyConll, 'test.txt'), 'utf8')).map((s) => s.tokens);
const text = 'Anna Kowalczyk of Halvard Bank met Ravi Mehta in Port Avery. Tomas Berg visited Osterholm.';

describe('ParallelModel', () => {
  let here: Tagger;
  let threads: ParallelModel;
  beforeAll(async () => {
    here = await Tagger.load(join(fixtures, 'tiny-model'));
    threads = (await loadModel(join(fixtures, 'tiny-model'), { workers: 2 })) as ParallelModel;
  });
  afterAll(async () => {
    await here.release();
    await threads.release();
  });

  it('gives exactly what the model gives on the calling thread, for calls split across workers and calls too small to split', async () => {
    expect(threads).toBeInstanceOf(ParallelModel);
    expect(threads.workers).toBe(2);
    expect(threads.model).toEqual(here.model);
    expect(threads.labels).toEqual(here.labels);
    expect(sentences.reduce((n, s) => n + s.length, 0)).toBeGreaterThan(2 * 256); // split: 256 tokens is where a call stays whole
    expect(await threads.spanSentences(sentences)).toEqual(await here.spanSentences(sentences));
    expect(await threads.labelSentences(sentences)).toEqual(await here.labelSentences(sentences));
    expect(await threads.labelSentences(sentences.slice(0, 3))).toEqual(await here.labelSentences(sentences.slice(0, 3)));
    expect(await threads.extract(text, { offsets: 'utf16' })).toEqual(await here.extract(text, { offsets: 'utf16' }));
    expect(await threads.spanSentences([])).toEqual([]);
  });

  it('answers concurrent calls each with its own sentences', async () => {
    const parts = [sentences.slice(0, 40), sentences.slice(40, 41), sentences.slice(41)];
    const answers = await Promise.all(parts.map((p) => threads.labelSentences(p)));
    expect(answers.flat()).toEqual(await here.labelSentences(sentences));
  });

  it("passes a worker's error back to the call that caused it, and keeps serving", async () => {
    await expect(threads.labelSentences([[42 as unknown as string]])).rejects.toThrow(/^token\.toLowerCase is not a function$/);
    await expect(threads.labelSentences([[42 as unknown as string]])).rejects.toMatchObject({ name: 'TypeError' });
    expect(await threads.labelSentences(sentences.slice(0, 2))).toEqual(await here.labelSentences(sentences.slice(0, 2)));
  });

  it("reports a model that cannot load with the engine's own error, and a bad worker count", async () => {
    await expect(loadModel(fixtures, { workers: 2 })).rejects.toBeInstanceOf(ModelInvalidError);
    await expect(loadModel(fixtures, { workers: 2 })).rejects.toThrow(/manifest\.json is missing/);
    // Whole: its code and details cross the thread too.
    await expect(loadModel(fixtures, { workers: 2 })).rejects.toMatchObject({ code: 'model_invalid', details: { dir: fixtures } });
    await expect(loadModel(join(fixtures, 'tiny-model'), { workers: 0 })).rejects.toThrow(/workers must be a positive integer/);
  });

  it('fails the calls of a worker that dies instead of leaving them waiting', async () => {
    const doomed = (await loadModel(join(fixtures, 'tiny-model'), { workers: 2 })) as ParallelModel;
    // A thread that stops with a call sent to it (out of memory, a native crash): the one
    // fault here that cannot be caused for real. It is stopped while idle and the call sent
    // after, so that it never answers: stopped under a model run, onnxruntime's binding
    // would abort this whole process instead (what release() must never do).
    const stopping = (doomed as unknown as { threads: Array<{ terminate(): Promise<number> }> }).threads[0]!.terminate();
    const pending = doomed.labelSentences(sentences);
    await stopping;
    await expect(pending).rejects.toThrow(/model worker thread stopped/);
    await expect(doomed.labelSentences(sentences)).rejects.toThrow(/model worker thread stopped/);
    await doomed.release();
  });

  it('answers the calls in flight before it releases, and refuses calls made after', async () => {
    const released = (await loadModel(join(fixtures, 'tiny-model'), { workers: 2, batchWindows: 2 })) as ParallelModel;
    const many = Array.from({ length: 20 }, () => sentences).flat(); // many model runs: the release arrives between two
    const inFlight = released.labelSentences(many);
    const releasing = released.release();
    await expect(released.labelSentences(sentences)).rejects.toThrow(/the model was released/);
    expect(await inFlight).toEqual(await here.labelSentences(many));
    await releasing;
  });
});
