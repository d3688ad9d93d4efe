/**
 * Decoding under a linear-chain CRF with the BIO constraint built in.
 *
 * - `viterbi` returns the best label sequence among those that are valid IOB2: an I-X
 *   may only follow B-X or I-X, so every decoded span is well formed by construction.
 * - `spanProbability` is what Nerve reports as an entity's `score`: the probability,
 *   under the model's CRF distribution over valid label sequences, that the sentence
 *   contains exactly this span (same first token, last token and type). It comes from
 *   forward-backward, so it accounts for every competing segmentation; an entity the
 *   model is torn between two types for scores about 0.5, not the max of a softmax.
 */
const FORBIDDEN = -1e30;

export interface Span {
  /** First token (inclusive) and last token (exclusive) in the sentence. */
  readonly start: number;
  readonly end: number;
  readonly type: string;
}

function allowed(prev: string | null, cur: string): boolean {
  if (!cur.startsWith('I-')) return true;
  return prev !== null && prev !== 'O' && prev.slice(2) === cur.slice(2);
}

/** log(sum(exp(values[0..length)))), or the largest value where every term is forbidden. */
function logSumExp(values: Float64Array | number[], length = values.length): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, values[i]!);
  if (max === -Infinity || max <= FORBIDDEN / 2) return max;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}

/** Forward-backward results, computed once per sentence and reused (marginals, span probabilities). */
export interface ForwardBackward {
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly logZ: number;
}

export class CrfDecoder {
  readonly size: number;
  private readonly trans: Float64Array; // size x size, row = previous label
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly begin: Map<string, number>;
  private readonly inside: Map<string, number>;
  // The labels each label may follow and precede: forward-backward sums over allowed moves
  // only (a forbidden one adds exp(-1e30) = 0), which the ensemble's batch path runs for
  // every member and token.
  private readonly predecessors: Int32Array[];
  private readonly successors: Int32Array[];

  constructor(
    readonly labels: readonly string[],
    transitions: readonly (readonly number[])[],
    start: readonly number[],
    end: readonly number[],
  ) {
    const k = labels.length;
    this.size = k;
    this.trans = new Float64Array(k * k);
    this.start = new Float64Array(k);
    this.end = Float64Array.from(end);
    for (let i = 0; i < k; i++) {
      this.start[i] = allowed(null, labels[i]!) ? start[i]! : FORBIDDEN;
      for (let j = 0; j < k; j++) {
        this.trans[i * k + j] = allowed(labels[i]!, labels[j]!) ? transitions[i]![j]! : FORBIDDEN;
      }
    }
    const open = (i: number, j: number) => this.trans[i * k + j]! > FORBIDDEN / 2;
    this.predecessors = labels.map((_, j) => Int32Array.from(labels.keys()).filter((i) => open(i, j)));
    this.successors = labels.map((_, i) => Int32Array.from(labels.keys()).filter((j) => open(i, j)));
    this.begin = new Map();
    this.inside = new Map();
    labels.forEach((l, i) => {
      if (l.startsWith('B-')) this.begin.set(l.slice(2), i);
      if (l.startsWith('I-')) this.inside.set(l.slice(2), i);
    });
  }

  /** Best valid label sequence for `n` tokens of emissions laid out n x size. */
  viterbi(emissions: Float32Array, n: number): Int32Array {
    const k = this.size;
    const path = new Int32Array(n);
    if (n === 0) return path;
    const back = new Int32Array(n * k);
    let score = new Float64Array(k);
    let next = new Float64Array(k);
    for (let y = 0; y < k; y++) score[y] = this.start[y]! + emissions[y]!;
    for (let t = 1; t < n; t++) {
      for (let y = 0; y < k; y++) {
        let best = -Infinity;
        let arg = 0;
        for (let x = 0; x < k; x++) {
          const s = score[x]! + this.trans[x * k + y]!;
          if (s > best) {
            best = s;
            arg = x;
          }
        }
        next[y] = best + emissions[t * k + y]!;
        back[t * k + y] = arg;
      }
      [score, next] = [next, score];
    }
    let best = -Infinity;
    for (let y = 0; y < k; y++) {
      const s = score[y]! + this.end[y]!;
      if (s > best) {
        best = s;
        path[n - 1] = y;
      }
    }
    for (let t = n - 1; t > 0; t--) path[t - 1] = back[t * k + path[t]!]!;
    return path;
  }

  /** Spans of a decoded path (IOB2; the path is valid, so B always opens a span). */
  spans(path: Int32Array): Span[] {
    const out: Span[] = [];
    let open: { start: number; type: string } | null = null;
    for (let t = 0; t <= path.length; t++) {
      const label = t < path.length ? this.labels[path[t]!]! : 'O';
      if (open && !(label.startsWith('I-') && label.slice(2) === open.type)) {
        out.push({ start: open.start, end: t, type: open.type });
        open = null;
      }
      if (label.startsWith('B-')) open = { start: t, type: label.slice(2) };
    }
    return out;
  }

  /** Forward and backward log scores (n x size each) and the log partition function. */
  forwardBackward(emissions: Float32Array, n: number): ForwardBackward {
    const k = this.size;
    const alpha = new Float64Array(n * k);
    const beta = new Float64Array(n * k);
    const tmp = new Float64Array(k);
    for (let y = 0; y < k; y++) alpha[y] = this.start[y]! + emissions[y]!;
    for (let t = 1; t < n; t++) {
      for (let y = 0; y < k; y++) {
        const from = this.predecessors[y]!;
        for (let i = 0; i < from.length; i++) tmp[i] = alpha[(t - 1) * k + from[i]!]! + this.trans[from[i]! * k + y]!;
        alpha[t * k + y] = logSumExp(tmp, from.length) + emissions[t * k + y]!;
      }
    }
    for (let y = 0; y < k; y++) beta[(n - 1) * k + y] = this.end[y]!;
    for (let t = n - 2; t >= 0; t--) {
      for (let y = 0; y < k; y++) {
        const to = this.successors[y]!;
        for (let i = 0; i < to.length; i++) tmp[i] = this.trans[y * k + to[i]!]! + emissions[(t + 1) * k + to[i]!]! + beta[(t + 1) * k + to[i]!]!;
        beta[t * k + y] = logSumExp(tmp, to.length);
      }
    }
    for (let y = 0; y < k; y++) tmp[y] = alpha[(n - 1) * k + y]! + this.end[y]!;
    return { alpha, beta, logZ: logSumExp(tmp) };
  }

  /** P(label y at token t) for every token and label, laid out n x size. */
  marginals(emissions: Float32Array, n: number, fb?: ForwardBackward): Float64Array {
    const k = this.size;
    const out = new Float64Array(n * k);
    if (n === 0) return out;
    const { alpha, beta, logZ } = fb ?? this.forwardBackward(emissions, n);
    for (let i = 0; i < n * k; i++) out[i] = Math.exp(alpha[i]! + beta[i]! - logZ);
    return out;
  }

  /** Probability of each span under the CRF (see the file comment). */
  spanProbabilities(emissions: Float32Array, n: number, spans: readonly Span[], fb?: ForwardBackward): number[] {
    if (spans.length === 0) return [];
    const k = this.size;
    const { alpha, beta, logZ } = fb ?? this.forwardBackward(emissions, n);
    return spans.map(({ start, end, type }) => {
      const b = this.begin.get(type);
      const i = this.inside.get(type);
      if (b === undefined) return 0;
      let score = alpha[start * k + b]!;
      let prev = b;
      for (let t = start + 1; t < end; t++) {
        score += this.trans[prev * k + i!]! + emissions[t * k + i!]!;
        prev = i!;
      }
      if (end === n) {
        score += this.end[prev]!;
      } else {
        // The span must stop here: the next label is anything but I-type.
        const rest: number[] = [];
        for (let z = 0; z < k; z++) {
          if (z !== i) rest.push(this.trans[prev * k + z]! + emissions[end * k + z]! + beta[end * k + z]!);
        }
        score += logSumExp(rest);
      }
      return Math.min(1, Math.max(0, Math.exp(score - logZ)));
    });
  }
}
