/**
 * One model shared by documents processed concurrently (the records of an SQS batch):
 * sentences that arrive while the model is busy wait for the next call and go in
 * together. A Reuters story has about eight sentences; a call over the sentences of
 * several documents gives the length batching (batching.ts) real choices and pays the
 * per-call cost once. While one call runs (on the event loop's thread, where ONNX
 * Runtime's Node binding runs a model, or in a ParallelModel's workers), the other
 * documents' reads and writes finish and queue up here.
 */
import type { ExtractOptions, NerModel, ScoredSpan, Entity } from './extract.js';

interface Waiting {
  readonly batch: readonly (readonly string[])[];
  readonly resolve: (spans: ScoredSpan[][]) => void;
  readonly reject: (error: unknown) => void;
}

export class CoalescingModel implements NerModel {
  private waiting: Waiting[] = [];
  private running = false;

  /** @param maxSentences most sentences in one merged call, to bound tensor memory. */
  constructor(
    private readonly inner: NerModel,
    private readonly maxSentences = 1024,
  ) {}

  get model(): { name: string; version: string } {
    return this.inner.model;
  }

  get labels(): readonly string[] {
    return this.inner.labels;
  }

  spanSentences(batch: readonly (readonly string[])[]): Promise<ScoredSpan[][]> {
    if (batch.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      // setImmediate: requests made in the same turn of the event loop join the first call.
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  labelSentences(batch: readonly (readonly string[])[]): Promise<string[][]> {
    return this.inner.labelSentences(batch);
  }

  extract(text: unknown, options?: ExtractOptions): Promise<Entity[]> {
    return this.inner.extract(text, options);
  }

  release(): Promise<void> {
    return this.inner.release();
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const taken: Waiting[] = [];
      let sentences = 0;
      while (this.waiting.length > 0 && (taken.length === 0 || sentences + this.waiting[0]!.batch.length <= this.maxSentences)) {
        const next = this.waiting.shift()!;
        taken.push(next);
        sentences += next.batch.length;
      }
      try {
        const spans = await this.inner.spanSentences(taken.flatMap((w) => w.batch));
        let at = 0;
        for (const w of taken) {
          w.resolve(spans.slice(at, at + w.batch.length));
          at += w.batch.length;
        }
      } catch (e) {
        // One bad call fails the documents that were in it, not the ones still waiting.
        for (const w of taken) w.reject(e);
      }
    }
    this.running = false;
  }
}
