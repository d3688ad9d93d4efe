/**
 * An ensemble of taggers that differ in architecture and features. Each member's CRF
 * gives token marginals P(label | sentence) by forward-backward; the ensemble averages
 * them (weighted), then decodes the average with BIO-constrained Viterbi over log
 * marginals, so the result is always valid IOB2. An entity's score is the mixture's
 * probability of the exact span: the weighted mean of the members' span probabilities.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrfDecoder, type ForwardBackward } from './crf.js';
import { ModelInvalidError } from '../shared/errors.js';
import { modelOptions, tokensPerCall, type ModelOptions } from './defaults.js';
import type { ScoredSpan } from './extract.js';
import { resolveModelDir } from './manifest.js';
import { SentenceModel, type Sentences } from './model.js';
import { Tagger } from './tagger.js';

export const ENSEMBLE_FORMAT = 'nerve-ensemble/1';

export interface EnsembleManifest {
  readonly name: string;
  readonly version: string;
  readonly format: typeof ENSEMBLE_FORMAT;
  /** Member folders relative to the ensemble's folder, with their weights. */
  readonly members: Array<{ readonly path: string; readonly weight: number }>;
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
  private readonly constraint: CrfDecoder;
  private readonly totalWeight: number;

  private constructor(
    readonly manifest: EnsembleManifest,
    readonly members: readonly Tagger[],
    private readonly weights: readonly number[],
    tokensPerGroup: number,
  ) {
    super({ name: manifest.name, version: manifest.version }, members[0]!.labels, tokensPerGroup);
    const k = members[0]!.labels.length;
    const zeros = Array.from({ length: k }, () => 0);
    // Transitions of 0 (allowed) or forbidden: Viterbi over log marginals under BIO alone.
    this.constraint = new CrfDecoder(members[0]!.labels, zeros.map(() => zeros), zeros, zeros);
    this.totalWeight = weights.reduce((a, b) => a + b, 0);
  }

  static async load(ref: string, given: ModelOptions = {}): Promise<Ensemble> {
    const options = modelOptions(given);
    const dir = resolveModelDir(ref);
    const manifest = readEnsembleManifest(dir);
    if (!manifest) throw new ModelInvalidError(`${dir} is not an ensemble (its manifest's format is not "${ENSEMBLE_FORMAT}")`);
    const members: Tagger[] = [];
    try {
      for (const m of manifest.members) members.push(await Tagger.load(join(dir, m.path), options));
    } catch (e) {
      await Promise.all(members.map((t) => t.release()));
      throw e;
    }
    const labels = members[0]!.labels.join(',');
    const odd = members.find((t) => t.labels.join(',') !== labels);
    if (odd) {
      await Promise.all(members.map((t) => t.release()));
      throw new ModelInvalidError(`ensemble ${dir}: member ${odd.model.name} has labels ${odd.labels.join(',')}, not ${labels}`);
    }
    return new Ensemble(manifest, members, manifest.members.map((m) => m.weight), tokensPerCall(options));
  }

  /** Every member's emissions for a batch: [member][sentence]. */
  private async memberEmissions(batch: Sentences): Promise<Float32Array[][]> {
    const out: Float32Array[][] = [];
    for (const member of this.members) out.push(await member.emissions(batch));
    return out;
  }

  /** Log of the weighted mean of the members' marginals, as emissions for the constraint decoder. */
  private combined(em: Float32Array[][], s: number, n: number, fbs?: ForwardBackward[]): Float32Array {
    const k = this.constraint.size;
    const mean = new Float64Array(n * k);
    this.members.forEach((member, i) => {
      const marg = member.decoder.marginals(em[i]![s]!, n, fbs?.[i]);
      const w = this.weights[i]! / this.totalWeight;
      for (let j = 0; j < mean.length; j++) mean[j] = mean[j]! + w * marg[j]!;
    });
    return Float32Array.from(mean, (p) => Math.log(Math.max(p, 1e-12)));
  }

  /** Viterbi over the combined marginals alone, without span probabilities. */
  override async labelSentences(batch: Sentences): Promise<string[][]> {
    const em = await this.memberEmissions(batch);
    return batch.map((tokens, s) => Array.from(this.constraint.viterbi(this.combined(em, s, tokens.length), tokens.length), (y) => this.labels[y]!));
  }

  async spanSentences(batch: Sentences): Promise<ScoredSpan[][]> {
    const em = await this.memberEmissions(batch);
    return batch.map((tokens, s) => {
      const n = tokens.length;
      if (n === 0) return [];
      const fbs = this.members.map((member, i) => member.decoder.forwardBackward(em[i]![s]!, n));
      const spans = this.constraint.spans(this.constraint.viterbi(this.combined(em, s, n, fbs), n));
      const scores = new Float64Array(spans.length);
      this.members.forEach((member, i) => {
        const p = member.decoder.spanProbabilities(em[i]![s]!, n, spans, fbs[i]);
        p.forEach((v, j) => (scores[j] = scores[j]! + (v * this.weights[i]!) / this.totalWeight));
      });
      return spans.map((span, j) => ({ ...span, score: Math.min(1, scores[j]!) }));
    });
  }

  async release(): Promise<void> {
    await Promise.all(this.members.map((m) => m.release()));
  }
}
