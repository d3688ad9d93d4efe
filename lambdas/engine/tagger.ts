/**
 * The NER engine's one entry point, shared by every handler and the CLI:
 * tokenize → split sentences → window → encode → infer (batched) → stitch → decode → spans.
 */
import { planBatches } from './batching.js';
import { CrfDecoder } from './crf.js';
import { modelOptions, tokensPerCall, type ModelOptions } from './defaults.js';
import { FeatureEncoder } from './encode.js';
import type { ScoredSpan } from './extract.js';
import { loadModelFolder, type ModelManifest } from './manifest.js';
import { SentenceModel, type ModelFamily, type Sentences } from './model.js';
import { windows } from './sentences.js';
import { EmissionSession } from './session.js';
import { ConfigError } from '../shared/errors.js';

/** Emissions for one sentence, stitched from its windows. */
interface Pending {
  readonly tokens: readonly string[];
  readonly emissions: Float32Array;
}

export class Tagger extends SentenceModel {
  readonly family: ModelFamily = 'bilstm-crf';

  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: EmissionSession,
    private readonly encoder: FeatureEncoder,
    readonly decoder: CrfDecoder,
    private readonly options: Required<ModelOptions>,
  ) {
    super({ name: manifest.name, version: manifest.version }, decoder.labels, tokensPerCall(options));
  }

  /** Load a model by name (`small`) or folder. Do it once per process and reuse the tagger. */
  static async load(model: string, given: ModelOptions = {}): Promise<Tagger> {
    const options = modelOptions(given);
    if (!Number.isInteger(options.batchWindows) || options.batchWindows < 1) throw new ConfigError(`batchWindows must be a positive integer, got ${options.batchWindows}`);
    windows(0, options.windowTokens, options.windowContext); // validates the window geometry up front
    const folder = loadModelFolder(model, { verifyChecksum: options.verifyChecksum });
    const session = await EmissionSession.create(folder.onnxPath, folder.manifest.inputs.names, options);
    const { labels, decoder } = folder.manifest;
    return new Tagger(folder.manifest, session, new FeatureEncoder(folder.manifest), new CrfDecoder(labels, decoder.transitions, decoder.start, decoder.end), options);
  }

  /**
   * Emission scores for pre-tokenized sentences, each as a Float32Array of
   * tokens x labels. Long sentences are windowed and stitched.
   */
  async emissions(batch: Sentences): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const p of await this.infer(batch)) out.push(p.emissions);
    return out;
  }

  /** IOB2 labels by Viterbi alone, without the span probabilities (what `nerve tag` and `nerve eval` use). */
  override async labelSentences(batch: Sentences): Promise<string[][]> {
    const out: string[][] = [];
    for (const p of await this.infer(batch)) {
      out.push(Array.from(this.decoder.viterbi(p.emissions, p.tokens.length), (y) => this.decoder.labels[y]!));
    }
    return out;
  }

  /** Spans with probabilities for pre-tokenized sentences. */
  async spanSentences(batch: Sentences): Promise<ScoredSpan[][]> {
    const out: ScoredSpan[][] = [];
    for (const p of await this.infer(batch)) out.push(this.decodeSpans(p));
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private decodeSpans(p: Pending): ScoredSpan[] {
    const n = p.tokens.length;
    const spans = this.decoder.spans(this.decoder.viterbi(p.emissions, n));
    const scores = this.decoder.spanProbabilities(p.emissions, n, spans);
    return spans.map((s, i) => ({ ...s, score: scores[i]! }));
  }

  /**
   * Run sentences through the model: every window of every sentence, batched by length
   * (see batching.ts), stitched back into one emission matrix per sentence, in order.
   */
  private async infer(batch: Sentences): Promise<Pending[]> {
    const k = this.decoder.size;
    const { windowTokens, windowContext, batchWindows } = this.options;
    const pending = batch.map((tokens) => ({ tokens, emissions: new Float32Array(tokens.length * k) }));
    const jobs = pending
      .flatMap((p, s) => windows(p.tokens.length, windowTokens, windowContext).map((w) => ({ s, w })))
      .filter((j) => j.w.end > j.w.start);
    for (const planned of planBatches(jobs.map((j) => j.w.end - j.w.start), batchWindows)) {
      const group = planned.map((i) => jobs[i]!);
      const encoded = this.encoder.encode(group.map((j) => pending[j.s]!.tokens.slice(j.w.start, j.w.end)));
      const out = await this.session.run(encoded);
      group.forEach((j, b) => {
        const { start, ownStart, ownEnd } = j.w;
        const from = (b * encoded.tokens + (ownStart - start)) * k;
        pending[j.s]!.emissions.set(out.subarray(from, from + (ownEnd - ownStart) * k), ownStart * k);
      });
    }
    return pending;
  }
}
