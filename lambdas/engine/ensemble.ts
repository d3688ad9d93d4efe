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

export interface EnsembleManifest {
  readonly name: string;
  readonly version: string;
  readonly format: typeof ENSEMBLE_FORMAT;
  /**
   * Member folders (taggers or transformers) relative to the ensemble's folder, with their
   * weights; a transformer's `aggregation` may be set here (else its folder's default).
   */
  readonly members: Array<{ readonly path: string; readonly weight: number; readonly aggregation?: Aggregation }>;
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
  }
  return raw as EnsembleManifest;
}

export class Ensemble extends SentenceModel {
  readonly family: ModelFamily = 'ensemble';
  private readonly constraint: CrfDecoder;
  private readonly totalWeight: number;

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
    this.totalWeight = weights.reduce((a, b) => a + b, 0);
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
        members.push(isTransformerFolder(path) ? await TransformerModel.load(path, { ...options, aggregation: m.aggregation }) : await Tagger.load(path, options));
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

  /** Every member's reading of a batch: [member][sentence]. */
  private async readings(batch: Sentences): Promise<MemberReading[][]> {
    const out: MemberReading[][] = [];
    for (const member of this.memberships) out.push(await member.read(batch));
    return out;
  }

  /** Log of the weighted mean of the members' distributions, as emissions for the constraint decoder. */
  private combined(readings: MemberReading[][], s: number, n: number): Float32Array {
    const k = this.constraint.size;
    const mean = new Float64Array(n * k);
    readings.forEach((reading, i) => {
      const marg = reading[s]!.marginals();
      const w = this.weights[i]! / this.totalWeight;
      for (let j = 0; j < mean.length; j++) mean[j] = mean[j]! + w * marg[j]!;
    });
    return Float32Array.from(mean, (p) => Math.log(Math.max(p, 1e-12)));
  }

  /** Viterbi over the combined distributions alone, without span probabilities. */
  override async labelSentences(batch: Sentences): Promise<string[][]> {
    const readings = await this.readings(batch);
    return batch.map((tokens, s) => Array.from(this.constraint.viterbi(this.combined(readings, s, tokens.length), tokens.length), (y) => this.labels[y]!));
  }

  async spanSentences(batch: Sentences): Promise<ScoredSpan[][]> {
    const readings = await this.readings(batch);
    return batch.map((tokens, s) => {
      const n = tokens.length;
      if (n === 0) return [];
      const spans = this.constraint.spans(this.constraint.viterbi(this.combined(readings, s, n), n));
      const scores = new Float64Array(spans.length);
      readings.forEach((reading, i) => {
        const p = reading[s]!.spanProbabilities(spans);
        p.forEach((v, j) => (scores[j] = scores[j]! + (v * this.weights[i]!) / this.totalWeight));
      });
      return spans.map((span, j) => ({ ...span, score: Math.min(1, scores[j]!) }));
    });
  }

  async release(): Promise<void> {
    await Promise.all(this.members.map((m) => m.release()));
  }
}
