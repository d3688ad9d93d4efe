/**
 * One model shared by documents processed concurrently (the records of an SQS batch):
 * sentences that arrive while the model is busy wait for the next call and go in
 * together. A Reuters story has about eight sentences; a call over the sentences of
 * several documents gives the length batching (batching.ts) real choices and pays the
 * per-call cost once. While one call runs (on the event loop's thread, where ONNX
 * Runtime's Node binding runs a model, or in a ParallelModel's workers), the other
 * documents' reads and writes finish and queue up here.
 */
import { DOCUMENT_GROUP_TOKENS } from './defaults.js';
import type { ScoredSpan } from './extract.js';
import { SentenceModel, type NerModel, type Sentences } from './model.js';

interface Waiting {
  readonly batch: Sentences;
  readonly resolve: (spans: ScoredSpan[][]) => void;
  readonly reject: (error: unknown) => void;
}

/** Every call of `spanSentences` (and so of `labelSentences`, `analyze` and `extract`) joins the next merged call. */
export class CoalescingModel extends SentenceModel {
  readonly family: NerModel['family'];
  private waiting: Waiting[] = [];
  private running = false;

  /** @param maxSentences most sentences in one merged call, to bound tensor memory. */
  constructor(
    private readonly inner: NerModel,
    private readonly maxSentences = 1024,
  ) {
    super(inner.model, inner.labels, DOCUMENT_GROUP_TOKENS);
    this.family = inner.family;
  }

  spanSentences(batch: Sentences): Promise<ScoredSpan[][]> {
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
