import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CrfDecoder } from '../../lambdas/engine/crf.js';

const LABELS = ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'];
const K = LABELS.length;
const valid = (prev: string | null, cur: string) =>
  !cur.startsWith('I-') || (prev !== null && prev !== 'O' && prev.slice(2) === cur.slice(2));

const numbers = (n: number) => fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n });
const crfCase = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record({ n: fc.constant(n), em: numbers(n * K), trans: numbers(K * K), start: numbers(K), end: numbers(K) }),
);

function decoder(c: { trans: number[]; start: number[]; end: number[] }) {
  const rows = Array.from({ length: K }, (_, i) => c.trans.slice(i * K, (i + 1) * K));
  return new CrfDecoder(LABELS, rows, c.start, c.end);
}

/** Every valid label sequence with its unnormalised log score, by enumeration. */
function allPaths(c: { n: number; em: number[]; trans: number[]; start: number[]; end: number[] }) {
  const out: Array<{ path: number[]; score: number }> = [];
  const walk = (path: number[], score: number) => {
    if (path.length === c.n) return out.push({ path, score: score + c.end[path[c.n - 1]!]! });
    const t = path.length;
    for (let y = 0; y < K; y++) {
      const prev = t === 0 ? null : LABELS[path[t - 1]!]!;
      if (!valid(prev, LABELS[y]!)) continue;
      const step = (t === 0 ? c.start[y]! : c.trans[path[t - 1]! * K + y]!) + c.em[t * K + y]!;
      walk([...path, y], score + step);
    }
  };
  walk([], 0);
  return out;
}

describe('CrfDecoder', () => {
  it('property: Viterbi finds the best valid path found by enumeration', () => {
    fc.assert(
      fc.property(crfCase, (c) => {
        const d = decoder(c);
        const path = Array.from(d.viterbi(Float32Array.from(c.em), c.n));
        const paths = allPaths({ ...c, em: Array.from(Float32Array.from(c.em)) });
        const best = Math.max(...paths.map((p) => p.score));
        const mine = paths.find((p) => p.path.join() === path.join());
        expect(mine, `decoded path ${path} is not a valid BIO path`).toBeDefined();
        expect(mine!.score).toBeCloseTo(best, 6);
      }),
      { numRuns: 300 },
    );
  });

  it('property: span probabilities equal the enumerated probability mass', () => {
    fc.assert(
      fc.property(crfCase, (c) => {
        const d = decoder(c);
        const em = Float32Array.from(c.em);
        const paths = allPaths({ ...c, em: Array.from(em) });
        const max = Math.max(...paths.map((p) => p.score));
        const z = paths.reduce((s, p) => s + Math.exp(p.score - max), 0);
        // Every span that occurs in any valid path, with its exact probability.
        const mass = new Map<string, number>();
        for (const p of paths) {
          for (const s of d.spans(Int32Array.from(p.path))) {
            const key = `${s.start}:${s.end}:${s.type}`;
            mass.set(key, (mass.get(key) ?? 0) + Math.exp(p.score - max) / z);
          }
        }
        const spans = [...mass.keys()].map((k) => {
          const [start, end, type] = k.split(':');
          return { start: Number(start), end: Number(end), type: type! };
        });
        const probs = d.spanProbabilities(em, c.n, spans);
        spans.forEach((s, i) => expect(probs[i]).toBeCloseTo(mass.get(`${s.start}:${s.end}:${s.type}`)!, 6));
      }),
      { numRuns: 200 },
    );
  });

  it('never opens a span with I- even when the emissions insist on it', () => {
    const d = new CrfDecoder(LABELS, LABELS.map(() => LABELS.map(() => 0)), LABELS.map(() => 0), LABELS.map(() => 0));
    const em = new Float32Array(3 * K);
    em[0 * K + 2] = 10; // I-LOC first
    em[1 * K + 4] = 10; // I-PER after it
    em[2 * K + 2] = 10;
    const path = Array.from(d.viterbi(em, 3), (y) => LABELS[y]);
    path.forEach((l, t) => expect(valid(t === 0 ? null : path[t - 1]!, l!)).toBe(true));
  });

  it('decodes nothing from nothing', () => {
    const d = new CrfDecoder(LABELS, LABELS.map(() => LABELS.map(() => 0)), LABELS.map(() => 0), LABELS.map(() => 0));
    expect(Array.from(d.viterbi(new Float32Array(0), 0))).toEqual([]);
    expect(d.spanProbabilities(new Float32Array(0), 0, [])).toEqual([]);
  });
});
