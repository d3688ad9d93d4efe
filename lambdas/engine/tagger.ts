/**
 * The NER engine's one entry point, shared by every handler and the CLI:
 * tokenize → split sentences → window → encode → infer (batched) → stitch → decode → spans.
 */
import { planBatches } from './batching.js';
import { CrfDecoder } from './crf.js';
import { FeatureEncoder } from './encode.js';
import { extractFromText, type Entity, type ExtractOptions, type NerModel, type ScoredSpan } from './extract.js';
import { loadModelFolder, type ModelManifest } from './manifest.js';
import { windows } from './sentences.js';
import { EmissionSession, type SessionOptions } from './session.js';

export { OFFSET_UNITS, type Entity, type ExtractOptions, type OffsetUnit } from './extract.js';

export interface TaggerOptions extends SessionOptions {
  /** Tokens per model call; longer sentences are cut into overlapping windows. @default 128 */
  readonly windowTokens?: number;
  /** Tokens of context each side of a window's own tokens. @default 16 */
  readonly windowContext?: number;
  /** Windows per ONNX Runtime call. @default 32 */
  readonly batchWindows?: number;
  /** Check model.onnx against the manifest's sha256 at load. @default true */
  readonly verifyChecksum?: boolean;
}

/** Emissions for one sentence, stitched from its windows. */
interface Pending {
  readonly tokens: readonly string[];
  readonly emissions: Float32Array;
}

export class Tagger implements NerModel {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: EmissionSession,
    private readonly encoder: FeatureEncoder,
    readonly decoder: CrfDecoder,
    private readonly options: Required<Omit<TaggerOptions, keyof SessionOptions | 'verifyChecksum'>>,
  ) {}

  /** Load a model by name (`small`) or folder. Do it once per process and reuse the tagger. */
  static async load(model: string, options: TaggerOptions = {}): Promise<Tagger> {
    const { windowTokens = 128, windowContext = 16, batchWindows = 32, verifyChecksum = true } = options;
    if (!Number.isInteger(batchWindows) || batchWindows < 1) throw new RangeError(`batchWindows must be a positive integer, got ${batchWindows}`);
    windows(0, windowTokens, windowContext); // validates the window geometry up front
    const folder = loadModelFolder(model, { verifyChecksum });
    const session = await EmissionSession.create(folder.onnxPath, folder.manifest.inputs.names, options);
    const { labels, decoder } = folder.manifest;
    return new Tagger(
      folder.manifest,
      session,
      new FeatureEncoder(folder.manifest),
      new CrfDecoder(labels, decoder.transitions, decoder.start, decoder.end),
      { windowTokens, windowContext, batchWindows },
    );
  }

  get model(): { name: string; version: string } {
    return { name: this.manifest.name, version: this.manifest.version };
  }

  get labels(): readonly string[] {
    return this.decoder.labels;
  }

  /**
   * Emission scores for pre-tokenized sentences, each as a Float32Array of
   * tokens x labels. Long sentences are windowed and stitched.
   */
  async emissions(batch: readonly (readonly string[])[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const p of await this.infer(batch)) out.push(p.emissions);
    return out;
  }

  /** IOB2 labels for pre-tokenized sentences (what `nerve tag` and `nerve eval` use). */
  async labelSentences(batch: readonly (readonly string[])[]): Promise<string[][]> {
    const out: string[][] = [];
    for (const p of await this.infer(batch)) {
      out.push(Array.from(this.decoder.viterbi(p.emissions, p.tokens.length), (y) => this.decoder.labels[y]!));
    }
    return out;
  }

  /** Spans with probabilities for pre-tokenized sentences. */
  async spanSentences(batch: readonly (readonly string[])[]): Promise<ScoredSpan[][]> {
    const out: ScoredSpan[][] = [];
    for (const p of await this.infer(batch)) out.push(this.decodeSpans(p));
    return out;
  }

  /** Entities in free text, with offsets in the unit asked for. */
  extract(text: unknown, options: ExtractOptions = {}): Promise<Entity[]> {
    return extractFromText((b) => this.spanSentences(b), text, options, this.options.windowTokens * this.options.batchWindows);
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
  private async infer(batch: readonly (readonly string[])[]): Promise<Pending[]> {
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
