/**
 * The NER engine's one entry point, shared by every handler and the CLI:
 * tokenize → split sentences → window → encode → infer (batched) → stitch → decode → spans.
 */
import { CrfDecoder, type Span } from './crf.js';
import { FeatureEncoder } from './encode.js';
import { InvalidInputError } from './errors.js';
import { loadModelFolder, type ModelManifest } from './manifest.js';
import { sentences, windows } from './sentences.js';
import { EmissionSession, type SessionOptions } from './session.js';
import { tokenize, type Token } from './tokenize.js';

export const OFFSET_UNITS = ['codepoint', 'utf16'] as const;
export type OffsetUnit = (typeof OFFSET_UNITS)[number];

export interface Entity {
  readonly text: string;
  readonly type: string;
  /** Offsets into the input text, in the unit the caller asked for. */
  readonly start: number;
  readonly end: number;
  /** Probability that exactly this span, with this type, is an entity (see crf.ts). */
  readonly score: number;
}

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

export interface ExtractOptions {
  /** @default 'codepoint' */
  readonly offsets?: OffsetUnit;
}

/** Emissions for one sentence, stitched from its windows. */
interface Pending {
  readonly tokens: readonly string[];
  readonly emissions: Float32Array;
}

export class Tagger {
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

  /**
   * Emission scores for pre-tokenized sentences, each as a Float32Array of
   * tokens x labels. Long sentences are windowed and stitched.
   */
  async emissions(batch: readonly (readonly string[])[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for await (const p of this.stream(batch)) out.push(p.emissions);
    return out;
  }

  /** IOB2 labels for pre-tokenized sentences (what `nerve tag` and `nerve eval` use). */
  async labelSentences(batch: readonly (readonly string[])[]): Promise<string[][]> {
    const out: string[][] = [];
    for await (const p of this.stream(batch)) {
      out.push(Array.from(this.decoder.viterbi(p.emissions, p.tokens.length), (y) => this.decoder.labels[y]!));
    }
    return out;
  }

  /** Spans with probabilities for pre-tokenized sentences. */
  async spanSentences(batch: readonly (readonly string[])[]): Promise<Array<Array<Span & { score: number }>>> {
    const out: Array<Array<Span & { score: number }>> = [];
    for await (const p of this.stream(batch)) out.push(this.decodeSpans(p));
    return out;
  }

  /** Entities in free text, with offsets in the unit asked for. */
  async extract(text: unknown, { offsets = 'codepoint' }: ExtractOptions = {}): Promise<Entity[]> {
    if (typeof text !== 'string') throw new InvalidInputError(`text must be a string, got ${text === null ? 'null' : typeof text}`);
    if (!OFFSET_UNITS.includes(offsets)) {
      throw new InvalidInputError(`offsets must be one of ${OFFSET_UNITS.map((u) => `"${u}"`).join(', ')}, got ${JSON.stringify(offsets)}`);
    }
    const entities: Entity[] = [];
    for await (const batch of this.sentenceBatches(text)) {
      let i = 0;
      for await (const p of this.stream(batch.map((s) => s.map((t) => t.text)))) {
        const tokens = batch[i++]!;
        for (const span of this.decodeSpans(p)) {
          const first = tokens[span.start]!;
          const last = tokens[span.end - 1]!;
          entities.push({
            text: text.slice(first.start, last.end),
            type: span.type,
            start: offsets === 'utf16' ? first.start : first.cpStart,
            end: offsets === 'utf16' ? last.end : last.cpEnd,
            score: span.score,
          });
        }
      }
    }
    return entities;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private decodeSpans(p: Pending): Array<Span & { score: number }> {
    const n = p.tokens.length;
    const spans = this.decoder.spans(this.decoder.viterbi(p.emissions, n));
    const scores = this.decoder.spanProbabilities(p.emissions, n, spans);
    return spans.map((s, i) => ({ ...s, score: scores[i]! }));
  }

  /** Sentences of a text in groups of about `batchWindows` windows, so memory stays bounded. */
  private async *sentenceBatches(text: string): AsyncGenerator<Token[][]> {
    let group: Token[][] = [];
    let windowCount = 0;
    for (const sentence of sentences(tokenize(text))) {
      group.push(sentence);
      windowCount += Math.ceil(sentence.length / this.options.windowTokens);
      if (windowCount >= this.options.batchWindows) {
        yield group;
        group = [];
        windowCount = 0;
      }
    }
    if (group.length > 0) yield group;
  }

  /** Run sentences through the model in batches of windows; yields one Pending per sentence, in order. */
  private async *stream(batch: readonly (readonly string[])[]): AsyncGenerator<Pending> {
    const k = this.decoder.size;
    const { windowTokens, windowContext, batchWindows } = this.options;
    const pending = batch.map((tokens) => ({ tokens, emissions: new Float32Array(tokens.length * k) }));
    const jobs = pending.flatMap((p, s) => windows(p.tokens.length, windowTokens, windowContext).map((w) => ({ s, w })));
    // Similar lengths in one call waste less on padding.
    let next = 0;
    for (let i = 0; i < jobs.length; i += batchWindows) {
      const chunk = jobs.slice(i, i + batchWindows).sort((a, b) => b.w.end - b.w.start - (a.w.end - a.w.start));
      const nonEmpty = chunk.filter((j) => j.w.end > j.w.start);
      if (nonEmpty.length > 0) {
        const encoded = this.encoder.encode(nonEmpty.map((j) => pending[j.s]!.tokens.slice(j.w.start, j.w.end)));
        const out = await this.session.run(encoded);
        nonEmpty.forEach((j, b) => {
          const { start, ownStart, ownEnd } = j.w;
          const from = (b * encoded.tokens + (ownStart - start)) * k;
          pending[j.s]!.emissions.set(out.subarray(from, from + (ownEnd - ownStart) * k), ownStart * k);
        });
      }
      // Every sentence whose windows all ran can go.
      const done = i + batchWindows >= jobs.length ? pending.length : jobs[i + batchWindows]!.s;
      while (next < done) yield pending[next++]!;
    }
    while (next < pending.length) yield pending[next++]!;
  }
}
