/**
 * An ensemble of models that differ in architecture, features or family, combined at the
 * level of Nerve's words (ensemble-members.ts says what each family gives):
 *
 * - Label distributions are averaged (weighted) where members give them: a BiLSTM-CRF
 *   tagger's CRF token marginals P(label | sentence) by forward-backward; a transformer's
 *   per-word softmax, a word's taken from its sub-tokens by the rule its aggregation uses
 *   (`first` by default: its first sub-token's), mapped from the model's scheme (IOB1,
 *   IOB2, BIOES, IO) to the ensemble's IOB2 labels. A transformer that aggregates
 *   sub-tokens (`simple`, `none`) votes with its spans instead: a distribution of 1 on
 *   their labels, so the average is weighted span voting.
 * - The average is decoded with BIO-constrained Viterbi over log probabilities, so the
 *   result is always valid IOB2.
 * - An entity's score is the mixture's probability of the exact span: the weighted mean
 *   of the members' probabilities of that span.
 *
 * - A cascade (the manifest's `gate`): members marked `gated` (a costly transformer) read
 *   only the sentences the other members are unsure of, those where some word's most
 *   probable label under the others' mixture falls below `confidentAbove`; the others'
 *   mixture alone labels the rest. The costly member then costs in proportion to the doubt.
 *
 * Members must name the same entity types (in any order, in any scheme): a member with
 * other types is refused at load, by name. The ensemble's labels are its first member's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrfDecoder } from './crf.js';
import { ModelInvalidError } from '../shared/errors.js';
import { modelOptions, tokensPerCall, type ModelOptions } from './defaults.js';
import { ensembleMember, type EnsembleMember, type MemberReading } from './ensemble-members.js';
import type { ScoredSpan } from './extract.js';
import { resolveModelDir } from './manifest.js';
import { SentenceModel, type ModelFamily, type Sentences } from './model.js';
import { Tagger } from './tagger.js';
import { entityTypesOf } from './tags.js';
import type { Aggregation } from './transformer/aggregate.js';
import { isTransformerFolder } from './transformer/folder.js';
import { TransformerModel } from './transformer/model.js';

export const ENSEMBLE_FORMAT = 'nerve-ensemble/1';

export interface ManifestMember {
  readonly path: string;
  readonly weight: number;
  readonly aggregation?: Aggregation;
  readonly gated?: boolean;
  /** The member's version the ensemble was built and measured with; where given, the member folder must be at it (checkMemberVersion). */
  readonly version?: string;
}

export interface EnsembleManifest {
  readonly name: string;
  readonly version: string;
  readonly format: typeof ENSEMBLE_FORMAT;
  /**
   * Member folders (taggers or transformers) relative to the ensemble's folder, with their
   * weights; a transformer's `aggregation` may be set here (else its folder's default).
   */
  readonly members: Array<ManifestMember>;
  /** Where the `gated` members read: only sentences some word of which the others give no label with at least this probability. */
  readonly gate?: { readonly confidentAbove: number };
  readonly combination: string;
  readonly metrics?: Record<string, unknown>;
}

/** The ensemble manifest of a folder, or undefined when the folder holds a single model. */
export function readEnsembleManifest(dir: string): EnsembleManifest | undefined {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return undefined;
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // loadModelFolder reports malformed JSON with its own message
  }
  if (raw?.format !== ENSEMBLE_FORMAT) return undefined;
  const fail = (problem: string): never => {
    throw new ModelInvalidError(`ensemble ${dir}: ${problem}`, { dir });
  };
  if (typeof raw.name !== 'string' || typeof raw.version !== 'string') fail('manifest.json needs string "name" and "version"');
  if (!Array.isArray(raw.members) || raw.members.length === 0) fail('manifest.json "members" must be a non-empty array');
  for (const m of raw.members) {
    if (typeof m?.path !== 'string' || !(typeof m.weight === 'number' && m.weight > 0)) fail('each member needs a "path" and a positive "weight"');
    if (m.gated !== undefined && typeof m.gated !== 'boolean') fail('a member\'s "gated" must be true or false');
    if (m.version !== undefined && typeof m.version !== 'string') fail('a member\'s "version" must be a string');
  }
  const gated = raw.members.filter((m: any) => m.gated === true).length;
  if (raw.gate !== undefined) {
    const above = raw.gate?.confidentAbove;
    if (!(typeof above === 'number' && above > 0 && above <= 1)) fail('"gate" needs a "confidentAbove" probability in (0, 1]');
  }
  if (gated > 0 && raw.gate === undefined) fail('members marked "gated" need the manifest\'s "gate"');
  if (gated === raw.members.length) fail('a gate needs at least one member that is not gated, to read every sentence');
  return raw as EnsembleManifest;
}

/**
 * A member pinned to a version must be at it. An ensemble is built and measured with its
 * members as they were; a member replaced in place (models/small retrained, which the
 * shipped ensemble reads as `../small`) would change what the ensemble gives under the same
 * version, and the documents it indexes would name a model that never gave them. Refused
 * where the ensemble loads and where the stack packs it (layers/models.ts).
 */
export function checkMemberVersion(dir: string, member: ManifestMember, found: string): void {
  if (member.version === undefined || member.version === found) return;
  throw new ModelInvalidError(
    `ensemble ${dir}: member ${member.path} is version ${found}, but the ensemble was built with ${member.version}: build and measure the ensemble again with it (under a new version, naming the member's), or put back the member it was built with`,
    { dir, member: member.path },
  );
}

/** One member's reading of a sentence, with the member's weight. */
interface Voice {
  readonly reading: MemberReading;
  readonly weight: number;
}

/** How much of what it was given the gate let the gated members read. */
export interface GateCounts {
  sentences: number;
  tokens: number;
  gatedSentences: number;
  gatedTokens: number;
}

export class Ensemble extends SentenceModel {
  readonly family: ModelFamily = 'ensemble';
  private readonly constraint: CrfDecoder;
  /** Members by index: those that read every sentence, and those behind the gate. */
  private readonly everySentence: readonly number[];
  private readonly behindGate: readonly number[];
  /** Counted since load, in this process (a worker thread counts its own). */
  readonly gateCounts: GateCounts = { sentences: 0, tokens: 0, gatedSentences: 0, gatedTokens: 0 };

  private constructor(
    readonly manifest: EnsembleManifest,
    private readonly memberships: readonly EnsembleMember[],
    private readonly weights: readonly number[],
    labels: readonly string[],
    tokensPerGroup: number,
  ) {
    super({ name: manifest.name, version: manifest.version }, labels, tokensPerGroup);
    const k = labels.length;
    const zeros = Array.from({ length: k }, () => 0);
    // Transitions of 0 (allowed) or forbidden: Viterbi over log marginals under BIO alone.
    this.constraint = new CrfDecoder(labels, zeros.map(() => zeros), zeros, zeros);
    const gated = manifest.members.map((m) => m.gated === true);
    this.everySentence = gated.flatMap((g, i) => (g ? [] : [i]));
    this.behindGate = gated.flatMap((g, i) => (g ? [i] : []));
  }

  static async load(ref: string, given: ModelOptions = {}): Promise<Ensemble> {
    const options = modelOptions(given);
    const dir = resolveModelDir(ref);
    const manifest = readEnsembleManifest(dir);
    if (!manifest) throw new ModelInvalidError(`${dir} is not an ensemble (its manifest's format is not "${ENSEMBLE_FORMAT}")`);
    const members: Array<Tagger | TransformerModel> = [];
    try {
      for (const m of manifest.members) {
        const path = join(dir, m.path);
        const member = isTransformerFolder(path) ? await TransformerModel.load(path, { ...options, aggregation: m.aggregation }) : await Tagger.load(path, options);
        members.push(member);
        checkMemberVersion(dir, m, member.model.version);
      }
    } catch (e) {
      await Promise.all(members.map((t) => t.release()));
      throw e;
    }
    const labels = members[0]!.labels;
    const types = entityTypesOf(labels).sort().join(',');
    const odd = members.find((t) => entityTypesOf(t.labels).sort().join(',') !== types);
    if (odd) {
      await Promise.all(members.map((t) => t.release()));
      throw new ModelInvalidError(`ensemble ${dir}: member ${odd.model.name} names the entity types ${entityTypesOf(odd.labels).sort().join(',')}, not ${types} (every member must name the same types)`);
    }
    const memberships = members.map((m) => ensembleMember(m, labels));
    return new Ensemble(manifest, memberships, manifest.members.map((m) => m.weight), labels, tokensPerCall(options));
  }

  /** The member models, in the manifest's order. */
  get members(): ReadonlyArray<Tagger | TransformerModel> {
    return this.memberships.map((m) => m.model);
  }

  /** The readings of each sentence of a batch, [sentence][member]: every member's, or behind a gate only where the others doubt. */
  private async readings(batch: Sentences): Promise<Voice[][]> {
    const voices: Voice[][] = batch.map(() => []);
    const hear = async (members: readonly number[], sentences: readonly number[]) => {
      for (const i of members) {
        const read = await this.memberships[i]!.read(sentences.map((s) => batch[s]!));
        read.forEach((reading, j) => voices[sentences[j]!]!.push({ reading: remembered(reading), weight: this.weights[i]! }));
      }
    };
    const all = batch.map((_, s) => s);
    await hear(this.everySentence, all);
    if (this.behindGate.length === 0) return voices;
    const doubtful = all.filter((s) => this.doubts(voices[s]!, batch[s]!.length));
    const counts = this.gateCounts;
    counts.sentences += batch.length;
    counts.tokens += batch.reduce((n, words) => n + words.length, 0);
    counts.gatedSentences += doubtful.length;
    counts.gatedTokens += doubtful.reduce((n, s) => n + batch[s]!.length, 0);
    if (doubtful.length > 0) await hear(this.behindGate, doubtful);
    return voices;
  }

  /** Whether some word's most probable label has less than the gate's probability under these members' mixture. */
  private doubts(voices: readonly Voice[], n: number): boolean {
    const k = this.constraint.size;
    const mean = this.mixture(voices, n);
    for (let t = 0; t < n; t++) {
      let top = 0;
      for (let j = t * k; j < (t + 1) * k; j++) top = Math.max(top, mean[j]!);
      if (top < this.manifest.gate!.confidentAbove) return true;
    }
    return false;
  }

  /** The weighted mean of the voices' distributions, n x k. */
  private mixture(voices: readonly Voice[], n: number): Float64Array {
    const mean = new Float64Array(n * this.constraint.size);
    const total = voices.reduce((a, v) => a + v.weight, 0);
    for (const { reading, weight } of voices) {
      const marg = reading.marginals();
      const w = weight / total;
      for (let j = 0; j < mean.length; j++) mean[j] = mean[j]! + w * marg[j]!;
    }
    return mean;
  }

  /** Log of the mixture, as emissions for the constraint decoder. */
  private combined(voices: readonly Voice[], n: number): Float32Array {
    return Float32Array.from(this.mixture(voices, n), (p) => Math.log(Math.max(p, 1e-12)));
  }

  /** Viterbi over the combined distributions alone, without span probabilities. */
  override async labelSentences(batch: Sentences): Promise<string[][]> {
    const readings = await this.readings(batch);
    return batch.map((tokens, s) => Array.from(this.constraint.viterbi(this.combined(readings[s]!, tokens.length), tokens.length), (y) => this.labels[y]!));
  }

  async spanSentences(batch: Sentences): Promise<ScoredSpan[][]> {
    const readings = await this.readings(batch);
    return batch.map((tokens, s) => {
      const n = tokens.length;
      if (n === 0) return [];
      const voices = readings[s]!;
      const spans = this.constraint.spans(this.constraint.viterbi(this.combined(voices, n), n));
      const scores = new Float64Array(spans.length);
      const total = voices.reduce((a, v) => a + v.weight, 0);
      for (const { reading, weight } of voices) {
        reading.spanProbabilities(spans).forEach((v, j) => (scores[j] = scores[j]! + (v * weight) / total));
      }
      return spans.map((span, j) => ({ ...span, score: Math.min(1, scores[j]!) }));
    });
  }

  async release(): Promise<void> {
    await Promise.all(this.members.map((m) => m.release()));
  }
}

/** A reading whose marginals are computed once, however often the gate and the decoder ask. */
function remembered(reading: MemberReading): MemberReading {
  let marginals: Float64Array | undefined;
  return { marginals: () => (marginals ??= reading.marginals()), spanProbabilities: (spans) => reading.spanProbabilities(spans) };
}
